namespace FlowExporter.Correlator.Collections;

/// <summary>
/// A bounded hash table of struct keys and struct values stored in parallel arrays, addressed by slot number so that
/// callers can keep a slot and reach its value by reference without hashing again. Chains run through an int array;
/// freed slots are reused; the arrays grow by doubling up to the capacity and never beyond it.
/// </summary>
internal sealed class SlotTable<TKey, TValue>
    where TKey : struct, IEquatable<TKey>
    where TValue : struct
{
    private const int Free = -2;
    private readonly int _capacity;
    private int[] _buckets;
    private Entry[] _entries;
    private int _highWater;
    private int _freeList = -1;

    public SlotTable(int capacity, int initialSize = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        var size = Math.Min(capacity, Math.Max(16, initialSize));
        _buckets = new int[BucketCountFor(size)];
        _entries = new Entry[size];
    }

    public int Count { get; private set; }

    public int Capacity => _capacity;

    /// <summary>Slots are numbered below this; a slot below it may be free (see <see cref="IsUsed"/>).</summary>
    public int HighWater => _highWater;

    public bool IsFull => Count >= _capacity;

    public bool IsUsed(int slot) => _entries[slot].Next >= -1;

    public ref readonly TKey KeyAt(int slot) => ref _entries[slot].Key;

    public ref TValue ValueAt(int slot) => ref _entries[slot].Value;

    /// <summary>The slot holding the key, or -1.</summary>
    public int Find(in TKey key)
    {
        var entries = _entries;
        var slot = _buckets[Bucket(key)] - 1;
        while ((uint)slot < (uint)entries.Length)
        {
            ref var entry = ref entries[slot];
            if (entry.Key.Equals(key))
            {
                return slot;
            }

            slot = entry.Next;
        }

        return -1;
    }

    /// <summary>Adds a key that is not present; returns its slot (its value starts as default), or -1 when full.</summary>
    public int Add(in TKey key)
    {
        if (Count >= _capacity)
        {
            return -1;
        }

        int slot;
        if (_freeList >= 0)
        {
            slot = _freeList;
            _freeList = -(_entries[slot].Next + 3);
        }
        else
        {
            if (_highWater == _entries.Length)
            {
                Grow();
            }

            slot = _highWater++;
        }

        var bucket = Bucket(key);
        ref var entry = ref _entries[slot];
        entry.Key = key;
        entry.Value = default;
        entry.Next = _buckets[bucket] - 1;
        _buckets[bucket] = slot + 1;
        Count++;
        return slot;
    }

    public void Remove(int slot)
    {
        var bucket = Bucket(_entries[slot].Key);
        var current = _buckets[bucket] - 1;
        var previous = -1;
        while (current >= 0 && current != slot)
        {
            previous = current;
            current = _entries[current].Next;
        }

        if (current < 0)
        {
            return;
        }

        ref var entry = ref _entries[slot];
        if (previous < 0)
        {
            _buckets[bucket] = entry.Next + 1;
        }
        else
        {
            _entries[previous].Next = entry.Next;
        }

        entry.Key = default;
        entry.Value = default;

        // Free slots keep the free-list link encoded at or below Free, so IsUsed stays a single comparison.
        entry.Next = _freeList >= 0 ? -(_freeList + 3) : Free;
        _freeList = slot;
        Count--;
    }

    /// <summary>Approximate bytes held by the arrays (for the memory figures of the benchmark).</summary>
    public long ApproximateBytes() =>
        (_buckets.Length * 4L) + ((long)_entries.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<Entry>());

    private int Bucket(in TKey key) => (int)((uint)Mix(key.GetHashCode()) & (uint)(_buckets.Length - 1));

    private static int Mix(int hash)
    {
        var h = (uint)hash;
        h ^= h >> 16;
        h *= 0x7FEB352D;
        h ^= h >> 15;
        h *= 0x846CA68B;
        h ^= h >> 16;
        return (int)h;
    }

    private void Grow()
    {
        var size = (int)Math.Min((long)_entries.Length * 2, _capacity);
        Array.Resize(ref _entries, size);
        _buckets = new int[BucketCountFor(size)];
        for (var slot = 0; slot < _highWater; slot++)
        {
            ref var entry = ref _entries[slot];
            if (entry.Next <= Free)
            {
                continue;
            }

            var bucket = Bucket(entry.Key);
            entry.Next = _buckets[bucket] - 1;
            _buckets[bucket] = slot + 1;
        }
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)] // Next packs beside the key's small fields
    private struct Entry
    {
        public TKey Key;
        public int Next;
        public TValue Value;
    }

    private static int BucketCountFor(int size)
    {
        var count = 16;
        while (count < size)
        {
            count <<= 1;
        }

        return count;
    }
}
