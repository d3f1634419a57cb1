using FlowExporter.Correlator.Collections;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The one store behind every family of series keyed by <see cref="SeriesKey"/> (connection bytes and packets,
/// connection quality): a bounded slot table of label sets holding counters that only grow. Every live connection holds
/// its series (<see cref="Acquire"/> and <see cref="Release"/>); connections with the same label set share one. A
/// series whose last connection ended stays until one snapshot has carried its final values, then leaves. Bounded by
/// <c>maxSeries</c>: a connection that finds no room gets slot -1 (accepted everywhere and ignored) and is counted.
/// Takes over the identity references of the keys it is given (see <see cref="SeriesKey.ReleaseIdentities"/>).
/// Not thread-safe: the table's owner drives it.
/// </summary>
public sealed class SeriesStore<TState>
    where TState : struct, ISeriesState
{
    private readonly SlotTable<SeriesKey, TState> _table;

    /// <summary>A bit per slot: the series was created since the last snapshot (no scrape has shown it yet).</summary>
    private ulong[] _unshown = [];

    public SeriesStore(int maxSeries)
    {
        _table = new SlotTable<SeriesKey, TState>(maxSeries);
    }

    public int Count => _table.Count;

    public int Capacity => _table.Capacity;

    /// <summary>Connections that could not get a series because the bound was reached.</summary>
    public long RejectedConnections { get; private set; }

    /// <summary>
    /// Connections that joined a series that already existed (another connection with the same label set: merged by the
    /// aggregation level, or a tuple reused before its series left). Every connection is exactly one of: a new series,
    /// merged, or rejected.
    /// </summary>
    public long MergedConnections { get; private set; }

    /// <summary>Series created since the start.</summary>
    public long CreatedSeries { get; private set; }

    /// <summary>Finds or creates the series for a key and counts one more live connection on it; -1 when full.</summary>
    public int Acquire(in SeriesKey key)
    {
        var slot = _table.Find(key);
        if (slot >= 0)
        {
            // The series' own key already holds these identities.
            key.ReleaseIdentities();
            MergedConnections++;

            // Held by more than one connection: a withdrawal no longer takes it away (the others' counts are in it).
            if ((slot >> 6) < _unshown.Length)
            {
                _unshown[slot >> 6] &= ~(1UL << slot);
            }
        }
        else
        {
            slot = _table.Add(key);
            if (slot < 0)
            {
                key.ReleaseIdentities();
                RejectedConnections++;
                return -1;
            }

            CreatedSeries++;
            if ((slot >> 6) >= _unshown.Length)
            {
                Array.Resize(ref _unshown, Math.Max((slot >> 6) + 1, Math.Min(_unshown.Length * 2, (_table.Capacity + 63) >> 6)));
            }

            _unshown[slot >> 6] |= 1UL << slot;
        }

        ref var state = ref _table.ValueAt(slot);
        state.Live++;
        return slot;
    }

    /// <summary>The state of the series in a slot (a slot <see cref="Acquire"/> returned, not -1).</summary>
    public ref TState StateAt(int slot) => ref _table.ValueAt(slot);

    /// <summary>One connection on the series ended (-1: none, ignored).</summary>
    public void Release(int slot)
    {
        if (slot < 0)
        {
            return;
        }

        ref var state = ref _table.ValueAt(slot);
        if (state.Live > 0)
        {
            state.Live--;
        }
    }

    /// <summary>
    /// A connection gives its series back as if it had never acquired it: it moved to another capture point before
    /// anything it counted was shown (<see cref="Connections.CountAt.Node"/>). A series it created that no snapshot has
    /// shown yet and no other connection has joined leaves at once, with whatever was counted in it, and is not counted
    /// as created; any other series is released as at <see cref="Release"/> (what is in it stays). -1: ignored.
    /// </summary>
    public void Withdraw(int slot)
    {
        if (slot < 0)
        {
            return;
        }

        ref var state = ref _table.ValueAt(slot);
        if (state.Live == 1 && IsUnshown(slot))
        {
            _table.KeyAt(slot).ReleaseIdentities();
            _table.Remove(slot);
            _unshown[slot >> 6] &= ~(1UL << slot);
            CreatedSeries--;
            return;
        }

        Release(slot);
    }

    /// <summary>
    /// Copies every series into <paramref name="buffer"/> (grown as needed) through the family's projection, and removes
    /// the series that no live connection holds any more: this snapshot is the one that shows their final values.
    /// Returns the count copied.
    /// </summary>
    public int Snapshot<TSample, TProjection>(ref TSample[] buffer, TProjection projection)
        where TProjection : struct, ISeriesProjection<TState, TSample>
    {
        if (buffer.Length < _table.Count)
        {
            buffer = new TSample[Math.Max(_table.Count, buffer.Length * 2)];
        }

        var count = 0;
        for (var slot = 0; slot < _table.HighWater; slot++)
        {
            if (!_table.IsUsed(slot))
            {
                continue;
            }

            ref var state = ref _table.ValueAt(slot);
            buffer[count++] = projection.Sample(slot, _table.KeyAt(slot), state);
            if (state.Live == 0)
            {
                _table.KeyAt(slot).ReleaseIdentities();
                _table.Remove(slot);
                projection.Removed(slot);
            }
        }

        Array.Clear(_unshown);
        return count;
    }

    public long ApproximateBytes() => _table.ApproximateBytes() + (_unshown.Length * 8L);

    private bool IsUnshown(int slot) => (slot >> 6) < _unshown.Length && (_unshown[slot >> 6] & (1UL << slot)) != 0;
}
