using FlowExporter.Correlator.Collections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// The bounded connection table. Each packet finds or opens its connection (deciding the initiator from the evidence
/// it carries), counts its wire bytes in the connection's entry, and moves the connection to the tail of the idle list,
/// so expiry and eviction only ever look at list heads. The entry's counts reach the connection's series when the
/// table flushes them (<see cref="FlushCounters"/>, before every snapshot) and when the connection ends: a packet
/// touches only its own entry, not the series store too. With a <see cref="QualityTracker"/>, each TCP segment also goes
/// through sequence analysis and the handshake, and attempts waiting for an answer sit on a third list, oldest first,
/// until they time out. Time is whatever the caller passes: capture timestamps in replay, the clock in live capture.
/// Not thread-safe: one owner drives it.
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
    private readonly QualityTracker? _quality;
    private readonly FlowRecorder? _records;

    /// <summary>
    /// Quality state by table slot when quality is on: a parallel array, so a table without quality pays nothing for
    /// it. Grows with the table's slots (only when a connection opens); a slot's state is set when it opens.
    /// </summary>
    private ConnectionQuality[] _qualityStates = [];
    private ListEnds _idle = new(NoSlot, NoSlot);
    private ListEnds _closing = new(NoSlot, NoSlot);
    private ListEnds _pending = new(NoSlot, NoSlot);
    private long _now;

    public ConnectionTracker(ConnectionTrackerOptions options, ConnectionSeriesStore series, QualityTracker? quality = null)
        : this(options, series, new SeriesKeyFactory(), quality)
    {
    }

    /// <param name="keys">Builds each connection's series keys when it opens (with endpoint metadata at the pod and
    /// workload levels); the only lookup on the packet path, and only for a packet that opens a connection.</param>
    /// <param name="quality">Connection quality, or null when it is off.</param>
    /// <param name="records">Flow records (IPFIX), or null when they are off: its state sits in its own side array.</param>
    public ConnectionTracker(ConnectionTrackerOptions options, ConnectionSeriesStore series, SeriesKeyFactory keys, QualityTracker? quality = null, FlowRecorder? records = null)
    {
        _keys = keys;
        _quality = quality;
        _records = records;
        _table = new SlotTable<ConnectionKey, Connection>(options.MaxConnections);
        _series = series;
        _timeout = ToNanoseconds(options.Timeout);
        _linger = ToNanoseconds(options.CloseLinger);
        _evictionMinIdle = ToNanoseconds(options.EvictionMinIdle);
        _aggregation = options.Aggregation;
    }

    public int Count => _table.Count;

    /// <summary>Connection quality, when it is on.</summary>
    public QualityTracker? Quality => _quality;

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
        var fromInitiator = sourceIsA == connection.Has(ConnectionFlags.InitiatorIsA);
        CountPacket(ref connection, fromInitiator, (uint)wireLength);
        if (_records is not null)
        {
            RecordPacket(slot, packet, flags, fromInitiator, (uint)wireLength);
        }

        if (_quality is not null)
        {
            ObserveQuality(slot, ref connection, packet, flags, fromInitiator, now);
        }

        if (flags != TcpFlags.None)
        {
            Track(slot, ref connection, flags, sourceIsA);
        }

        if (!connection.IsClosing)
        {
            connection.Time = _now;
            MoveToTail(ref _idle, slot);
        }

        return true;
    }

    /// <summary>
    /// Adds what every connection carried since the last flush to its series. Call it before reading the series store
    /// (a snapshot): until then, the latest packets are counted only in the table.
    /// </summary>
    public void FlushCounters()
    {
        for (var slot = 0; slot < _table.HighWater; slot++)
        {
            if (_table.IsUsed(slot))
            {
                Flush(ref _table.ValueAt(slot));
            }
        }
    }

    /// <summary>Advances time and closes what timed out or finished lingering.</summary>
    public void Advance(long now)
    {
        if (now > _now)
        {
            _now = now;
        }

        while (_pending.Head != NoSlot)
        {
            var head = _pending.Head;
            if (_now - _qualityStates[head].OpenedAt < _quality!.SynTimeoutNanoseconds)
            {
                break;
            }

            Unlink(ref _pending, head, pending: true);
            _quality.TimedOut(ref _qualityStates[head]);
        }

        while (_closing.Head != NoSlot)
        {
            ref var head = ref _table.ValueAt(_closing.Head);
            if (_now - head.Time < _linger)
            {
                break;
            }

            Close(_closing.Head, head.Has(ConnectionFlags.Rst) ? CloseReason.Rst : CloseReason.Fin);
        }

        while (_idle.Head != NoSlot)
        {
            ref var head = ref _table.ValueAt(_idle.Head);
            if (_now - head.Time < _timeout)
            {
                break;
            }

            Close(_idle.Head, CloseReason.Timeout);
        }
    }

    /// <summary>Approximate memory held by the table's arrays.</summary>
    public long ApproximateBytes() =>
        _table.ApproximateBytes() + ((long)_qualityStates.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<ConnectionQuality>())
        + (_records?.ApproximateBytes() ?? 0);

    /// <summary>
    /// Emits the flow record of every open connection (reason forced end) and starts their next records from zero:
    /// at shutdown, or at the end of a replayed file. Does nothing without flow records.
    /// </summary>
    public void EmitOpenRecords()
    {
        if (_records is null)
        {
            return;
        }

        for (var slot = 0; slot < _table.HighWater; slot++)
        {
            if (_table.IsUsed(slot))
            {
                EmitRecord(slot, FlowEndReason.ForcedEnd);
            }
        }
    }

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
        connection.Time = _now;
        connection.Evidence = evidence;
        connection.Flags = initiatorIsA ? ConnectionFlags.InitiatorIsA : ConnectionFlags.None;
        connection.Idle = ListLinks.None;
        connection.Series = _series.Acquire(_keys.For(key, initiatorIsA, evidence, _aggregation));
        if (_quality is not null)
        {
            EnsureQualityState(slot);
            ref var quality = ref _qualityStates[slot];
            quality = QualityTracker.Covers(key.Protocol)
                ? _quality.Open(_keys.For(key, initiatorIsA, evidence, _quality.Options.Aggregation), key.Protocol, sourceIsA == initiatorIsA, flags)
                : ConnectionQuality.Initial(-1);
            quality.OpenedAt = _now;
            if (quality.Attempt == AttemptState.SynSent)
            {
                Append(ref _pending, slot, pending: true);
            }
        }

        _records?.Open(slot, packet.VlanId);
        Append(ref _idle, slot);
        lifecycle.Open();
        return slot;
    }

    private void EnsureQualityState(int slot)
    {
        if (slot >= _qualityStates.Length)
        {
            var size = Math.Max(slot + 1, Math.Min(Math.Max(1024, _qualityStates.Length * 2), _table.Capacity));
            Array.Resize(ref _qualityStates, size);
        }
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

    private void ObserveQuality(int slot, ref Connection connection, in DecodedPacket packet, TcpFlags flags, bool fromInitiator, long time)
    {
        switch (packet.Protocol)
        {
            case IpProtocol.Tcp when flags != TcpFlags.None || packet.HasTcpHeader:
                var firstReset = (flags & TcpFlags.Rst) != 0 && !connection.Has(ConnectionFlags.Rst);
                if (_quality!.Segment(ref _qualityStates[slot], packet, fromInitiator, firstReset, connection.Series, time))
                {
                    Unlink(ref _pending, slot, pending: true);
                }

                break;
            case IpProtocol.Udp:
                _quality!.Datagram(ref _qualityStates[slot], fromInitiator);
                break;
            case IpProtocol.Icmp or IpProtocol.Icmpv6 when packet.QuotedProtocol != 0:
                Unreachable(slot, packet);
                break;
        }
    }

    /// <summary>An ICMP destination unreachable: the attempt it quotes (tracked on the same capture interface) failed.</summary>
    private void Unreachable(int icmpSlot, in DecodedPacket packet)
    {
        var key = ConnectionKey.Of(
            _table.KeyAt(icmpSlot).Interface, packet.QuotedProtocol, packet.QuotedSource, packet.QuotedSourcePort, packet.QuotedDestination, packet.QuotedDestinationPort, out var sourceIsA);
        var slot = _table.Find(key);
        if (slot < 0)
        {
            return;
        }

        ref var attempt = ref _table.ValueAt(slot);
        if (sourceIsA == attempt.Has(ConnectionFlags.InitiatorIsA) && _quality!.Unreachable(ref _qualityStates[slot]))
        {
            Unlink(ref _pending, slot, pending: true);
        }
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
            connection.Time = _now;
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

        if (_idle.Head != NoSlot && _now - _table.ValueAt(_idle.Head).Time >= _evictionMinIdle)
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

        Flush(ref connection);
        _series.Release(connection.Series);
        if (_records is not null)
        {
            EmitRecord(slot, reason switch
            {
                CloseReason.Timeout => FlowEndReason.IdleTimeout,
                CloseReason.Evicted => FlowEndReason.LackOfResources,
                _ => FlowEndReason.EndOfFlow,
            });
        }

        if (_quality is not null)
        {
            ref var quality = ref _qualityStates[slot];
            if (quality.Attempt == AttemptState.SynSent)
            {
                Unlink(ref _pending, slot, pending: true);
            }

            _quality.Close(ref quality);
        }

        var key = _table.KeyAt(slot);
        LifecycleFor(key.Interface, key.Protocol).Close(reason);
        _table.Remove(slot);
    }

    /// <summary>Counts one packet in its flow record, sending the record first when the active timeout is up.</summary>
    private void RecordPacket(int slot, in DecodedPacket packet, TcpFlags flags, bool fromInitiator, uint wireLength)
    {
        if (_records!.IsDue(slot, _now))
        {
            EmitRecord(slot, FlowEndReason.ActiveTimeout);
        }

        _records.Count(slot, fromInitiator, wireLength, packet.IpLength, (byte)flags, _now);
    }

    private void EmitRecord(int slot, FlowEndReason reason)
    {
        ref var connection = ref _table.ValueAt(slot);
        var rtt = _quality is not null && slot < _qualityStates.Length ? _qualityStates[slot].InitialRtt : 0;
        _records!.Emit(slot, _table.KeyAt(slot), connection.Has(ConnectionFlags.InitiatorIsA), connection.Evidence, rtt, reason);
    }

    /// <summary>Counts one packet in its connection's entry, flushing first when a count would overflow.</summary>
    private void CountPacket(ref Connection connection, bool fromInitiator, uint bytes)
    {
        ref var byteCount = ref fromInitiator ? ref connection.ForwardBytes : ref connection.BackwardBytes;
        ref var packetCount = ref fromInitiator ? ref connection.ForwardPackets : ref connection.BackwardPackets;
        if (byteCount > uint.MaxValue - bytes || packetCount == uint.MaxValue)
        {
            Flush(ref connection);
        }

        byteCount += bytes;
        packetCount++;
    }

    private void Flush(ref Connection connection)
    {
        if ((connection.ForwardPackets | connection.BackwardPackets) == 0)
        {
            return;
        }

        _series.Add(connection.Series, connection.ForwardBytes, connection.BackwardBytes, connection.ForwardPackets, connection.BackwardPackets);
        connection.ForwardBytes = 0;
        connection.BackwardBytes = 0;
        connection.ForwardPackets = 0;
        connection.BackwardPackets = 0;
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

    /// <summary>The links of a slot in the idle or closing list, or (<paramref name="pending"/>) in the attempts list.</summary>
    private ref ListLinks Links(int slot, bool pending) =>
        ref pending ? ref _qualityStates[slot].Pending : ref _table.ValueAt(slot).Idle;

    private void Append(ref ListEnds list, int slot, bool pending = false)
    {
        ref var links = ref Links(slot, pending);
        links.Previous = list.Tail;
        links.Next = NoSlot;
        if (list.Tail != NoSlot)
        {
            Links(list.Tail, pending).Next = slot;
        }
        else
        {
            list.Head = slot;
        }

        list.Tail = slot;
    }

    private void Unlink(ref ListEnds list, int slot, bool pending = false)
    {
        ref var links = ref Links(slot, pending);
        if (links.Previous != NoSlot)
        {
            Links(links.Previous, pending).Next = links.Next;
        }
        else
        {
            list.Head = links.Next;
        }

        if (links.Next != NoSlot)
        {
            Links(links.Next, pending).Previous = links.Previous;
        }
        else
        {
            list.Tail = links.Previous;
        }

        links = ListLinks.None;
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

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)] // no padding: one per tracked connection
    private struct Connection
    {
        /// <summary>Capture time (ns) of the latest packet while open; of the moment it started closing once closing.</summary>
        public long Time;

        /// <summary>Links in the idle list, or in the closing list once closing.</summary>
        public ListLinks Idle;
        public int Series;

        // Counted since the last flush into the series (forward: from the initiator); the entry is in cache for every
        // packet, the series is not.
        public uint ForwardBytes;
        public uint BackwardBytes;
        public uint ForwardPackets;
        public uint BackwardPackets;
        public ConnectionFlags Flags;
        public InitiatorEvidence Evidence;

        public readonly bool IsClosing => (Flags & ConnectionFlags.Closing) != 0;

        public readonly bool Has(ConnectionFlags flags) => (Flags & flags) == flags;
    }
}
