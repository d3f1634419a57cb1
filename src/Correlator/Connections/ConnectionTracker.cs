using FlowExporter.Correlator.Collections;
using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// The bounded connection table. Each packet finds or opens its connection (deciding the initiator from the evidence
/// it carries), counts its wire bytes in the connection's entry, and moves the connection to the tail of the idle list,
/// so expiry and eviction only ever look at list heads. The entry's counts reach the connection's series
/// (<see cref="IConnectionSeries"/>) when the table flushes them (<see cref="FlushCounters"/>, before every snapshot)
/// and when the connection ends: a packet touches only its own entry, not the series store too. Connection quality,
/// when on, sits behind <see cref="IConnectionQuality"/>: the table tells it each step of each connection. Frames are
/// one way in (<see cref="Observe(ushort, in DecodedPacket, ushort, ushort, int, long)"/>); another engine's counts
/// are the other (<see cref="Observe(in ConnectionObservation)"/>), with the same timeouts, caps, lifecycle counters
/// and series. Time is whatever the caller passes: each packet's capture timestamp (live and replay alike; a scrape
/// also advances it to the clock in live capture).
/// A connection seen at several capture points is, by default (<see cref="CountAt.Node"/>), one entry found by its
/// 5-tuple alone and owned by the point that captured its first packet earliest (by the packets' capture timestamps,
/// whatever order the points' threads deliver them in): that point's packets are counted (series, quality, records,
/// lifecycle), the other points' only in their <see cref="Duplicates"/>, though they keep the connection alive. A point
/// that delivers a packet captured before the owner's earliest takes the connection over (<see cref="TakeOver"/>): the
/// entry is counted again from that point's packets as if it had opened there. <see cref="CountAt.EveryPoint"/> keys
/// the table by point and 5-tuple: an entry per point.
/// Not thread-safe: one owner drives it.
/// </summary>
public sealed class ConnectionTracker
{
    private const int NoSlot = -1;

    /// <summary>
    /// How much earlier than the owner another point may have captured a connection's first packet and take it over:
    /// the same packet reaches two points of a node microseconds apart (a millisecond under heavy load). A packet
    /// captured longer before is not this connection's (a previous connection on the same tuple) but a late copy.
    /// </summary>
    private const long MaxCaptureSkew = 100_000_000;
    private readonly SlotTable<ConnectionKey, Connection> _table;
    private readonly IConnectionSeries _series;
    private readonly Dictionary<int, LifecycleCounters> _lifecycle = [];
    private readonly List<PointDuplicates> _duplicates = [];
    private readonly bool _oncePerNode;
    private readonly long _timeout;
    private readonly long _linger;
    private readonly long _evictionMinIdle;
    private readonly IConnectionQuality? _quality;
    private readonly IConnectionRecords? _records;
    private ListEnds _idle = new(NoSlot, NoSlot);
    private ListEnds _closing = new(NoSlot, NoSlot);
    private long _now;

    /// <param name="series">The series each connection is counted in; keys them when a connection opens (with
    /// endpoint metadata at the pod and workload levels): the only lookup on the packet path, and only for a packet
    /// that opens a connection.</param>
    /// <param name="quality">Connection quality, or null when it is off.</param>
    /// <param name="records">Flow records (IPFIX), or null when they are off: their state sits in their own side array.</param>
    public ConnectionTracker(ConnectionTrackerOptions options, IConnectionSeries series, IConnectionQuality? quality = null, IConnectionRecords? records = null)
    {
        _quality = quality;
        _records = records;
        _table = new SlotTable<ConnectionKey, Connection>(options.MaxConnections);
        _series = series;
        _timeout = ToNanoseconds(options.Timeout);
        _linger = ToNanoseconds(options.CloseLinger);
        _evictionMinIdle = ToNanoseconds(options.EvictionMinIdle);
        _oncePerNode = options.CountAt == CountAt.Node;
        _quality?.Attach(_table.Capacity);
    }

    public int Count => _table.Count;

    /// <summary>Connection quality, when it is on.</summary>
    public IConnectionQuality? Quality => _quality;

    public int Capacity => _table.Capacity;

    /// <summary>The latest time seen (nanoseconds since the Unix epoch); never goes back.</summary>
    public long Now => _now;

    public IEnumerable<LifecycleCounters> Lifecycle => _lifecycle.Values;

    /// <summary>
    /// Per capture point (indexed by its id), what it saw of connections counted at another point; all zero when
    /// every point counts its own (<see cref="CountAt.EveryPoint"/>). Points that never delivered a duplicate may be
    /// missing from the end.
    /// </summary>
    public IReadOnlyList<PointDuplicates> Duplicates => _duplicates;

    /// <summary>Connections in the table counted at <paramref name="point"/> (its lifecycle's active connections).</summary>
    public long ConnectionsAt(ushort point)
    {
        long active = 0;
        foreach (var counters in _lifecycle.Values)
        {
            active += counters.Interface == point ? counters.Active : 0;
        }

        return active;
    }

    /// <summary>
    /// Forgets a capture point no connection is counted at (its id is freed for another point): its lifecycle counters
    /// and duplicate counts leave.
    /// </summary>
    public void ForgetPoint(ushort point)
    {
        foreach (var id in _lifecycle.Where(l => l.Value.Interface == point).Select(l => l.Key).ToArray())
        {
            _lifecycle.Remove(id);
        }

        if (point < _duplicates.Count)
        {
            _duplicates[point] = new PointDuplicates();
        }
    }

    /// <summary>
    /// Accounts one packet (its wire length) to its connection; returns false when the table was full and the
    /// packet's new connection was dropped.
    /// </summary>
    public bool Observe(ushort captureInterface, in DecodedPacket packet, ushort sourcePort, ushort destinationPort, int wireLength, long now)
    {
        Advance(now);
        var key = ConnectionKey.From(captureInterface, packet, sourcePort, destinationPort, out var sourceIsA);
        var flags = packet.Protocol == IpProtocol.Tcp ? packet.TcpFlags : TcpFlags.None;
        var slot = _table.Find(TableKey(key));
        if (slot >= 0 && (flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && _table.ValueAt(slot).IsClosing && _table.ValueAt(slot).Point == captureInterface)
        {
            // A new SYN on a tuple whose connection already ended: that connection is over, this is a new one. At
            // another point the SYN may be a late copy of the ended connection's own: only its owner's SYN restarts it.
            ref var ended = ref _table.ValueAt(slot);
            Close(slot, ended.Has(ConnectionFlags.Rst) ? CloseReason.Rst : CloseReason.Fin);
            slot = -1;
        }

        if (slot >= 0 && _table.ValueAt(slot).Point != captureInterface)
        {
            if (!CapturedBefore(_table.ValueAt(slot), now, flags))
            {
                return CountDuplicate(slot, captureInterface, 1, (ulong)wireLength, _now);
            }

            TakeOver(slot, key, sourceIsA, flags, now, packet.VlanId);
        }

        if (slot < 0)
        {
            slot = Open(key, sourceIsA, flags, now);
            if (slot < 0)
            {
                return false;
            }

            _records?.Opened(slot, packet.VlanId);
        }

        ref var connection = ref _table.ValueAt(slot);
        if (now < connection.FirstSeen)
        {
            // A capture that steps back in time (a file's, or a point's frames out of order): the owner's earliest.
            connection.FirstSeen = now;
        }
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
            Track(slot, ref connection, flags, sourceIsA, _now);
        }

        if (!connection.IsClosing)
        {
            connection.Time = _now;
            MoveToTail(ref _idle, slot);
        }

        return true;
    }

    /// <summary>
    /// Accounts what another engine saw of one connection since its last report (its counts per side, the flags each
    /// side sent): the connection opens, counts, closes, expires and is exported exactly as if its frames had come
    /// through <see cref="Observe(ushort, in DecodedPacket, ushort, ushort, int, long)"/>, except that the moments in
    /// between are the observation's first and last times. Returns false when the table was full and the observation's
    /// new connection was dropped.
    /// </summary>
    public bool Observe(in ConnectionObservation observation)
    {
        Advance(observation.FirstSeen);
        var key = observation.Key;
        var isTcp = key.Protocol == IpProtocol.Tcp;
        var firstFlags = isTcp ? observation.FirstFlags : TcpFlags.None;
        var slot = _table.Find(TableKey(key));
        if (slot >= 0 && (firstFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && _table.ValueAt(slot).IsClosing && _table.ValueAt(slot).Point == key.Interface)
        {
            ref var ended = ref _table.ValueAt(slot);
            Close(slot, ended.Has(ConnectionFlags.Rst) ? CloseReason.Rst : CloseReason.Fin);
            slot = -1;
        }

        if ((observation.PacketsFromA | observation.PacketsFromB) == 0 && (slot < 0 || _table.ValueAt(slot).Point != key.Interface))
        {
            // Only an ICMP quote of a connection the table does not hold here (it ended, or never opened): nothing to count.
            Advance(observation.LastSeen);
            return true;
        }

        if (slot >= 0 && _table.ValueAt(slot).Point != key.Interface)
        {
            if (!CapturedBefore(_table.ValueAt(slot), observation.FirstSeen, firstFlags))
            {
                CountDuplicate(slot, key.Interface, observation.PacketsFromA + observation.PacketsFromB, observation.BytesFromA + observation.BytesFromB, Math.Max(_now, observation.LastSeen));
                Advance(observation.LastSeen);
                return true;
            }

            TakeOver(slot, key, observation.FirstSenderIsA, firstFlags, observation.FirstSeen, observation.VlanId);
        }

        if (slot < 0)
        {
            slot = Open(key, observation.FirstSenderIsA, firstFlags, observation.FirstSeen);
            if (slot < 0)
            {
                return false;
            }

            _records?.Opened(slot, observation.VlanId);
        }

        ref var connection = ref _table.ValueAt(slot);
        if (observation.FirstSeen < connection.FirstSeen)
        {
            connection.FirstSeen = observation.FirstSeen;
        }
        var initiatorIsA = connection.Has(ConnectionFlags.InitiatorIsA);
        CountMany(ref connection, forward: initiatorIsA, observation.BytesFromA, observation.PacketsFromA);
        CountMany(ref connection, forward: !initiatorIsA, observation.BytesFromB, observation.PacketsFromB);
        var (flagsFromA, flagsFromB) = isTcp ? (observation.FlagsFromA, observation.FlagsFromB) : (TcpFlags.None, TcpFlags.None);
        var last = Math.Max(_now, observation.LastSeen);
        if (_records is not null)
        {
            RecordObservation(slot, observation, initiatorIsA, flagsFromA, flagsFromB, last);
        }

        if (_quality is not null)
        {
            var firstReset = ((flagsFromA | flagsFromB) & TcpFlags.Rst) == 0 || connection.Has(ConnectionFlags.Rst) ? (bool?)null
                : (initiatorIsA ? flagsFromA : flagsFromB).HasFlag(TcpFlags.Rst);
            _quality.Observed(
                slot,
                key.Protocol,
                initiatorIsA ? flagsFromA : flagsFromB,
                initiatorIsA ? flagsFromB : flagsFromA,
                (initiatorIsA ? observation.PacketsFromB : observation.PacketsFromA) > 0,
                firstReset,
                initiatorIsA,
                observation.Quality,
                connection.Series);
        }

        if ((flagsFromA | flagsFromB) != TcpFlags.None)
        {
            Track(slot, ref connection, flagsFromA, sourceIsA: true, last);
            Track(slot, ref connection, flagsFromB, sourceIsA: false, last);
        }

        if (!connection.IsClosing)
        {
            connection.Time = last;
            MoveToTail(ref _idle, slot);
        }

        Advance(observation.LastSeen);
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

        _quality?.Advance(_now);

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
    public long ApproximateBytes() => _table.ApproximateBytes() + (_quality?.ApproximateBytes() ?? 0) + (_records?.ApproximateBytes() ?? 0);

    /// <summary>
    /// Ends the flow record of every open connection (reason forced end) and starts their next records from zero:
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
                EmitRecord(slot, RecordEnd.ForcedEnd);
            }
        }
    }

    private int Open(in ConnectionKey key, bool sourceIsA, TcpFlags flags, long firstSeen)
    {
        var lifecycle = LifecycleFor(key.Interface, key.Protocol);
        if (_table.IsFull && !EvictOne())
        {
            lifecycle.Drop();
            return -1;
        }

        var slot = _table.Add(TableKey(key));
        var (initiatorIsA, evidence) = DecideInitiator(key, sourceIsA, flags);
        ref var connection = ref _table.ValueAt(slot);
        connection.Point = key.Interface;
        connection.Time = _now;
        connection.FirstSeen = firstSeen;
        connection.Evidence = evidence;
        connection.Flags = initiatorIsA ? ConnectionFlags.InitiatorIsA : ConnectionFlags.None;
        connection.Idle = ListLinks.None;
        connection.Series = _series.Open(key, initiatorIsA, evidence);
        _quality?.Opened(slot, key, initiatorIsA, evidence, sourceIsA == initiatorIsA, flags, _now);
        Append(ref _idle, slot);
        lifecycle.Open();
        return slot;
    }

    /// <summary>
    /// The point of <paramref name="key"/> captured a packet of the connection in <paramref name="slot"/> (at
    /// <paramref name="firstSeen"/>) before its owner captured any: it becomes the owner, so that the owner is the
    /// point that captured the connection first whatever order the points' packets reach the table in. The entry
    /// starts again as if opened by this packet at this point: what the old owner counted since the last flush becomes
    /// its duplicates, its series, quality series and opening are withdrawn (nothing shown yet: they leave without a
    /// trace; see <see cref="IConnectionSeries.Withdraw"/>), its flow record is dropped unsent, and the initiator, FIN and
    /// RST state are decided again from this point's packets. Only what a scrape already showed of the old owner stays.
    /// </summary>
    private void TakeOver(int slot, in ConnectionKey key, bool sourceIsA, TcpFlags flags, long firstSeen, ushort vlanId)
    {
        ref var connection = ref _table.ValueAt(slot);
        AddDuplicates(connection.Point, connection.ForwardPackets + (ulong)connection.BackwardPackets, connection.ForwardBytes + (ulong)connection.BackwardBytes);
        connection.ForwardBytes = 0;
        connection.BackwardBytes = 0;
        connection.ForwardPackets = 0;
        connection.BackwardPackets = 0;
        if (connection.IsClosing)
        {
            Unlink(ref _closing, slot);
        }
        else
        {
            Unlink(ref _idle, slot);
        }

        _series.Withdraw(connection.Series);
        _quality?.Withdrawn(slot);
        WithdrawOpening(connection.Point, key.Protocol);

        var (initiatorIsA, evidence) = DecideInitiator(key, sourceIsA, flags);
        connection.Point = key.Interface;
        connection.Time = _now;
        connection.FirstSeen = firstSeen;
        connection.Evidence = evidence;
        connection.Flags = initiatorIsA ? ConnectionFlags.InitiatorIsA : ConnectionFlags.None;
        connection.Series = _series.Open(key, initiatorIsA, evidence);
        _quality?.Opened(slot, key, initiatorIsA, evidence, sourceIsA == initiatorIsA, flags, firstSeen);
        Append(ref _idle, slot);
        LifecycleFor(key.Interface, key.Protocol).Open();
        _records?.Opened(slot, vlanId);
    }

    /// <summary>
    /// Whether a packet (or a report's first packet) captured at another point than the owner's, at
    /// <paramref name="captured"/>, is the same connection captured earlier there: before the owner's earliest packet
    /// (and not by more than <see cref="MaxCaptureSkew"/>); and, when the owner saw the connection open with a SYN, a
    /// SYN itself (anything captured before the opening SYN belongs to a previous connection on the tuple).
    /// </summary>
    private static bool CapturedBefore(in Connection owner, long captured, TcpFlags flags) =>
        captured < owner.FirstSeen
        && owner.FirstSeen - captured <= MaxCaptureSkew
        && (owner.Evidence != InitiatorEvidence.Syn || (flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn);

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
                _quality!.Segment(slot, packet, fromInitiator, firstReset, connection.Series, time);
                break;
            case IpProtocol.Udp:
                _quality!.Datagram(slot, fromInitiator);
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
            _table.ValueAt(icmpSlot).Point, packet.QuotedProtocol, packet.QuotedSource, packet.QuotedSourcePort, packet.QuotedDestination, packet.QuotedDestinationPort, out var sourceIsA);
        var slot = _table.Find(TableKey(key));
        if (slot < 0)
        {
            return;
        }

        ref var attempt = ref _table.ValueAt(slot);
        if (sourceIsA == attempt.Has(ConnectionFlags.InitiatorIsA))
        {
            _quality!.Unreachable(slot);
        }
    }

    /// <summary>Notes a side's FIN or RST; a connection finished both ways (or reset) starts closing at <paramref name="time"/>.</summary>
    private void Track(int slot, ref Connection connection, TcpFlags flags, bool sourceIsA, long time)
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
            connection.Time = time;
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
                CloseReason.Timeout => RecordEnd.IdleTimeout,
                CloseReason.Evicted => RecordEnd.LackOfResources,
                _ => RecordEnd.EndOfFlow,
            });
        }

        _quality?.Closed(slot);

        LifecycleFor(connection.Point, _table.KeyAt(slot).Protocol).Close(reason);
        _table.Remove(slot);
    }

    /// <summary>Counts one packet in its flow record, ending the record first when the active timeout is up.</summary>
    private void RecordPacket(int slot, in DecodedPacket packet, TcpFlags flags, bool fromInitiator, uint wireLength)
    {
        if (_records!.IsDue(slot, _now))
        {
            EmitRecord(slot, RecordEnd.ActiveTimeout);
        }

        _records.Count(slot, fromInitiator, wireLength, packet.IpLength, flags, _now);
    }

    /// <summary>Counts another engine's report in its flow record, ending the record first when the active timeout is up.</summary>
    private void RecordObservation(int slot, in ConnectionObservation observation, bool initiatorIsA, TcpFlags flagsFromA, TcpFlags flagsFromB, long last)
    {
        if (_records!.IsDue(slot, _now))
        {
            EmitRecord(slot, RecordEnd.ActiveTimeout);
        }

        _records.CountMany(slot, fromInitiator: initiatorIsA, observation.BytesFromA, observation.IpBytesFromA, observation.PacketsFromA, flagsFromA, _now, last);
        _records.CountMany(slot, fromInitiator: !initiatorIsA, observation.BytesFromB, observation.IpBytesFromB, observation.PacketsFromB, flagsFromB, _now, last);
    }

    private void EmitRecord(int slot, RecordEnd end)
    {
        ref var connection = ref _table.ValueAt(slot);
        var rtt = _quality?.HandshakeRtt(slot) ?? 0;
        var retransmissions = _quality is null
            ? default
            : new RetransmissionTotals(_quality.Retransmissions(slot, fromInitiator: true), _quality.Retransmissions(slot, fromInitiator: false));
        _records!.End(slot, KeyOf(slot), connection.Has(ConnectionFlags.InitiatorIsA), connection.Evidence, rtt, retransmissions, end);
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

    /// <summary>Counts what another engine reported for one direction, flushing first when a count would overflow.</summary>
    private void CountMany(ref Connection connection, bool forward, ulong bytes, ulong packets)
    {
        if ((bytes | packets) == 0)
        {
            return;
        }

        ref var byteCount = ref forward ? ref connection.ForwardBytes : ref connection.BackwardBytes;
        ref var packetCount = ref forward ? ref connection.ForwardPackets : ref connection.BackwardPackets;
        if (bytes > uint.MaxValue - byteCount || packets > uint.MaxValue - packetCount)
        {
            Flush(ref connection);
            if (bytes > uint.MaxValue || packets > uint.MaxValue)
            {
                _series.Add(connection.Series, forward ? bytes : 0, forward ? 0 : bytes, forward ? packets : 0, forward ? 0 : packets);
                return;
            }
        }

        byteCount += (uint)bytes;
        packetCount += (uint)packets;
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

    /// <summary>The table's key for a connection: without its capture point when each connection counts once per node.</summary>
    private ConnectionKey TableKey(in ConnectionKey key) => _oncePerNode ? key with { Interface = 0 } : key;

    /// <summary>The key of the connection in <paramref name="slot"/> at the point that counts it.</summary>
    private ConnectionKey KeyOf(int slot) => _table.KeyAt(slot) with { Interface = _table.ValueAt(slot).Point };

    /// <summary>
    /// Counts what <paramref name="point"/> saw of a connection another point counts, and keeps the connection alive
    /// (its owner may see it less often, or stop first). Returns true: the packets were accounted.
    /// </summary>
    private bool CountDuplicate(int slot, ushort point, ulong packets, ulong bytes, long time)
    {
        AddDuplicates(point, packets, bytes);
        ref var connection = ref _table.ValueAt(slot);
        if (!connection.IsClosing)
        {
            connection.Time = Math.Max(connection.Time, time);
            MoveToTail(ref _idle, slot);
        }

        return true;
    }

    private void AddDuplicates(ushort point, ulong packets, ulong bytes)
    {
        while (_duplicates.Count <= point)
        {
            _duplicates.Add(new PointDuplicates());
        }

        _duplicates[point].Count((long)packets, (long)bytes);
    }

    /// <summary>Takes back a connection's opening at a point it moved away from; counters left unused leave.</summary>
    private void WithdrawOpening(ushort captureInterface, byte protocol)
    {
        var id = (captureInterface << 8) | protocol;
        var counters = _lifecycle[id];
        counters.Withdraw();
        if (counters.IsUnused)
        {
            _lifecycle.Remove(id);
        }
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

    /// <summary>The links of a slot in the idle or closing list.</summary>
    private ref ListLinks Links(int slot) => ref _table.ValueAt(slot).Idle;

    private void Append(ref ListEnds list, int slot)
    {
        ref var links = ref Links(slot);
        links.Previous = list.Tail;
        links.Next = NoSlot;
        if (list.Tail != NoSlot)
        {
            Links(list.Tail).Next = slot;
        }
        else
        {
            list.Head = slot;
        }

        list.Tail = slot;
    }

    private void Unlink(ref ListEnds list, int slot)
    {
        ref var links = ref Links(slot);
        if (links.Previous != NoSlot)
        {
            Links(links.Previous).Next = links.Next;
        }
        else
        {
            list.Head = links.Next;
        }

        if (links.Next != NoSlot)
        {
            Links(links.Next).Previous = links.Previous;
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

        /// <summary>The capture point whose packets are counted (the key's own point unless counted once per node).</summary>
        public ushort Point;

        /// <summary>
        /// Capture time (ns) of the earliest packet its point delivered: counted once per node, another point's packet
        /// captured before it takes the connection over.
        /// </summary>
        public long FirstSeen;

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
