using FlowExporter.Correlator.Collections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// The bounded connection table. Each packet finds or opens its connection (deciding the initiator from the evidence
/// it carries), adds its wire bytes to the connection's series, and moves the connection to the tail of the idle list,
/// so expiry and eviction only ever look at list heads. Time is whatever the caller passes: capture timestamps in
/// replay, the clock in live capture. Not thread-safe: one owner drives it.
/// </summary>
public sealed class ConnectionTracker
{
    private const int NoSlot = -1;
    private readonly SlotTable<ConnectionKey, Connection> _table;
    private readonly ConnectionSeriesStore _series;
    private readonly Dictionary<int, LifecycleCounters> _lifecycle = [];
    private readonly long _timeout;
    private readonly long _linger;
    private readonly long _evictionMinIdle;
    private readonly AggregationLevel _aggregation;
    private readonly SeriesKeyFactory _keys;
    private ListEnds _idle = new(NoSlot, NoSlot);
    private ListEnds _closing = new(NoSlot, NoSlot);
    private long _now;

    public ConnectionTracker(ConnectionTrackerOptions options, ConnectionSeriesStore series)
        : this(options, series, new SeriesKeyFactory())
    {
    }

    /// <param name="keys">Builds each connection's series key when it opens (with endpoint metadata at the pod and
    /// workload levels); the only lookup on the packet path, and only for a packet that opens a connection.</param>
    public ConnectionTracker(ConnectionTrackerOptions options, ConnectionSeriesStore series, SeriesKeyFactory keys)
    {
        _keys = keys;
        _table = new SlotTable<ConnectionKey, Connection>(options.MaxConnections);
        _series = series;
        _timeout = ToNanoseconds(options.Timeout);
        _linger = ToNanoseconds(options.CloseLinger);
        _evictionMinIdle = ToNanoseconds(options.EvictionMinIdle);
        _aggregation = options.Aggregation;
    }

    public int Count => _table.Count;

    public int Capacity => _table.Capacity;

    /// <summary>The latest time seen (nanoseconds since the Unix epoch); never goes back.</summary>
    public long Now => _now;

    public IEnumerable<LifecycleCounters> Lifecycle => _lifecycle.Values;

    /// <summary>
    /// Accounts one packet (its wire length) to its connection; returns false when the table was full and the
    /// packet's new connection was dropped.
    /// </summary>
    public bool Observe(ushort captureInterface, in DecodedPacket packet, ushort sourcePort, ushort destinationPort, int wireLength, long now)
    {
        Advance(now);
        var key = ConnectionKey.From(captureInterface, packet, sourcePort, destinationPort, out var sourceIsA);
        var flags = packet.Protocol == IpProtocol.Tcp ? packet.TcpFlags : TcpFlags.None;
        var slot = _table.Find(key);
        if (slot >= 0 && (flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && _table.ValueAt(slot).IsClosing)
        {
            // A new SYN on a tuple whose connection already ended: that connection is over, this is a new one.
            ref var ended = ref _table.ValueAt(slot);
            Close(slot, ended.Has(ConnectionFlags.Rst) ? CloseReason.Rst : CloseReason.Fin);
            slot = -1;
        }

        if (slot < 0)
        {
            slot = Open(key, packet, sourceIsA, flags);
            if (slot < 0)
            {
                return false;
            }
        }

        ref var connection = ref _table.ValueAt(slot);
        connection.LastSeen = _now;
        var fromInitiator = sourceIsA == connection.Has(ConnectionFlags.InitiatorIsA);
        _series.Add(connection.Series, fromInitiator, (ulong)wireLength);

        if (flags != TcpFlags.None)
        {
            Track(slot, ref connection, flags, sourceIsA);
        }

        if (!connection.IsClosing)
        {
            MoveToTail(ref _idle, slot);
        }

        return true;
    }

    /// <summary>Advances time and closes what timed out or finished lingering.</summary>
    public void Advance(long now)
    {
        if (now > _now)
        {
            _now = now;
        }

        while (_closing.Head != NoSlot)
        {
            ref var head = ref _table.ValueAt(_closing.Head);
            if (_now - head.ClosingSince < _linger)
            {
                break;
            }

            Close(_closing.Head, head.Has(ConnectionFlags.Rst) ? CloseReason.Rst : CloseReason.Fin);
        }

        while (_idle.Head != NoSlot)
        {
            ref var head = ref _table.ValueAt(_idle.Head);
            if (_now - head.LastSeen < _timeout)
            {
                break;
            }

            Close(_idle.Head, CloseReason.Timeout);
        }
    }

    /// <summary>Approximate memory held by the table's arrays.</summary>
    public long ApproximateBytes() =>
        _table.ApproximateBytes();

    private int Open(in ConnectionKey key, in DecodedPacket packet, bool sourceIsA, TcpFlags flags)
    {
        var lifecycle = LifecycleFor(key.Interface, key.Protocol);
        if (_table.IsFull && !EvictOne())
        {
            lifecycle.Drop();
            return -1;
        }

        var slot = _table.Add(key);
        var (initiatorIsA, evidence) = DecideInitiator(key, sourceIsA, flags);
        ref var connection = ref _table.ValueAt(slot);
        connection.FirstSeen = _now;
        connection.LastSeen = _now;
        connection.Evidence = evidence;
        connection.Flags = initiatorIsA ? ConnectionFlags.InitiatorIsA : ConnectionFlags.None;
        connection.Previous = NoSlot;
        connection.Next = NoSlot;
        connection.Series = _series.Acquire(_keys.For(key, initiatorIsA, evidence, _aggregation));
        Append(ref _idle, slot);
        lifecycle.Open();
        return slot;
    }

    private static (bool InitiatorIsA, InitiatorEvidence Evidence) DecideInitiator(in ConnectionKey key, bool sourceIsA, TcpFlags flags)
    {
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
        {
            return (sourceIsA, InitiatorEvidence.Syn);
        }

        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack))
        {
            return (!sourceIsA, InitiatorEvidence.SynAck);
        }

        if (IpProtocol.HasPorts(key.Protocol) && key.PortA != key.PortB)
        {
            // The lower port is the service: its side is the target.
            return (key.PortA > key.PortB, InitiatorEvidence.Port);
        }

        return (sourceIsA, InitiatorEvidence.FirstPacket);
    }

    private void Track(int slot, ref Connection connection, TcpFlags flags, bool sourceIsA)
    {
        if ((flags & TcpFlags.Rst) != 0)
        {
            connection.Flags |= ConnectionFlags.Rst;
        }

        if ((flags & TcpFlags.Fin) != 0)
        {
            connection.Flags |= sourceIsA ? ConnectionFlags.FinFromA : ConnectionFlags.FinFromB;
        }

        var finished = connection.Has(ConnectionFlags.Rst) || connection.Has(ConnectionFlags.FinFromA | ConnectionFlags.FinFromB);
        if (finished && !connection.IsClosing)
        {
            connection.Flags |= ConnectionFlags.Closing;
            connection.ClosingSince = _now;
            Unlink(ref _idle, slot);
            Append(ref _closing, slot);
        }
    }

    private bool EvictOne()
    {
        if (_closing.Head != NoSlot)
        {
            var head = _closing.Head;
            Close(head, _table.ValueAt(head).Has(ConnectionFlags.Rst) ? CloseReason.Rst : CloseReason.Fin);
            return true;
        }

        if (_idle.Head != NoSlot && _now - _table.ValueAt(_idle.Head).LastSeen >= _evictionMinIdle)
        {
            Close(_idle.Head, CloseReason.Evicted);
            return true;
        }

        return false;
    }

    private void Close(int slot, CloseReason reason)
    {
        ref var connection = ref _table.ValueAt(slot);
        if (connection.IsClosing)
        {
            Unlink(ref _closing, slot);
        }
        else
        {
            Unlink(ref _idle, slot);
        }

        _series.Release(connection.Series);
        var key = _table.KeyAt(slot);
        LifecycleFor(key.Interface, key.Protocol).Close(reason);
        _table.Remove(slot);
    }

    private LifecycleCounters LifecycleFor(ushort captureInterface, byte protocol)
    {
        var id = (captureInterface << 8) | protocol;
        if (!_lifecycle.TryGetValue(id, out var counters))
        {
            counters = new LifecycleCounters(captureInterface, protocol);
            _lifecycle[id] = counters;
        }

        return counters;
    }

    private void Append(ref ListEnds list, int slot)
    {
        ref var connection = ref _table.ValueAt(slot);
        connection.Previous = list.Tail;
        connection.Next = NoSlot;
        if (list.Tail != NoSlot)
        {
            _table.ValueAt(list.Tail).Next = slot;
        }
        else
        {
            list.Head = slot;
        }

        list.Tail = slot;
    }

    private void Unlink(ref ListEnds list, int slot)
    {
        ref var connection = ref _table.ValueAt(slot);
        if (connection.Previous != NoSlot)
        {
            _table.ValueAt(connection.Previous).Next = connection.Next;
        }
        else
        {
            list.Head = connection.Next;
        }

        if (connection.Next != NoSlot)
        {
            _table.ValueAt(connection.Next).Previous = connection.Previous;
        }
        else
        {
            list.Tail = connection.Previous;
        }

        connection.Previous = NoSlot;
        connection.Next = NoSlot;
    }

    private void MoveToTail(ref ListEnds list, int slot)
    {
        if (list.Tail == slot)
        {
            return;
        }

        Unlink(ref list, slot);
        Append(ref list, slot);
    }

    private static long ToNanoseconds(TimeSpan span) => span.Ticks * 100;

    private record struct ListEnds(int Head, int Tail);

    [Flags]
    private enum ConnectionFlags : byte
    {
        None = 0,
        InitiatorIsA = 1,
        FinFromA = 2,
        FinFromB = 4,
        Rst = 8,
        Closing = 16,
    }

    private struct Connection
    {
        public long FirstSeen;
        public long LastSeen;
        public long ClosingSince;
        public int Previous;
        public int Next;
        public int Series;
        public ConnectionFlags Flags;
        public InitiatorEvidence Evidence;

        public readonly bool IsClosing => (Flags & ConnectionFlags.Closing) != 0;

        public readonly bool Has(ConnectionFlags flags) => (Flags & flags) == flags;
    }
}
