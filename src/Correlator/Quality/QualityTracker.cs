using System.Runtime.CompilerServices;
using FlowExporter.Correlator.Collections;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// Connection quality from what the connection table sees: the handshake RTT (tshark's initial RTT), how each attempt
/// ended, and retransmitted, zero-window and reset segments. The table tells it each step through
/// <see cref="IConnectionQuality"/>; it keeps a <see cref="ConnectionQuality"/> per table slot (a parallel array, so a
/// table without quality pays nothing for it) and the list of attempts waiting for an answer, oldest first, until they
/// time out. No allocation per packet. Not thread-safe: the table's owner drives it.
/// </summary>
public sealed class QualityTracker : IConnectionQuality
{
    private const int NoSlot = -1;
    private readonly QualitySeriesStore _store;
    private readonly ConnectionSeriesStore _connections;
    private readonly SeriesKeyFactory _keys;

    /// <summary>
    /// Quality state by table slot: grows with the table's slots (only when a connection opens); a slot's state is set
    /// when it opens.
    /// </summary>
    private ConnectionQuality[] _states = [];
    private int _tableCapacity = int.MaxValue;
    private int _pendingHead = NoSlot;
    private int _pendingTail = NoSlot;

    public QualityTracker(QualityOptions options, QualitySeriesStore store, ConnectionSeriesStore connections)
        : this(options, store, connections, new SeriesKeyFactory())
    {
    }

    /// <param name="keys">Keys each connection's quality series at <see cref="QualityOptions.Aggregation"/>: the
    /// factory the connection series use, so both share one label schema and one intern table.</param>
    public QualityTracker(QualityOptions options, QualitySeriesStore store, ConnectionSeriesStore connections, SeriesKeyFactory keys)
    {
        Options = options;
        _store = store;
        _connections = connections;
        _keys = keys;
        SynTimeoutNanoseconds = options.SynTimeout.Ticks * 100;
    }

    public QualityOptions Options { get; }

    public QualitySeriesStore Store => _store;

    public long SynTimeoutNanoseconds { get; }

    /// <summary>Quality is kept for TCP and UDP connections only (others get <c>ConnectionQuality.Initial(-1)</c>).</summary>
    public static bool Covers(byte protocol) => protocol is IpProtocol.Tcp or IpProtocol.Udp;

    public void Attach(int tableCapacity) => _tableCapacity = tableCapacity;

    /// <summary>
    /// A new connection: a TCP or UDP one gets its quality series. A TCP connection opened by its initiator's SYN
    /// starts an attempt (<see cref="AttemptState.SynSent"/>, on the timeout list); a UDP flow opened by its
    /// initiator's datagram starts one that only an answer or an ICMP unreachable ends.
    /// </summary>
    public void Opened(int slot, in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence, bool openedByInitiator, TcpFlags flags, long now)
    {
        EnsureState(slot);
        ref var quality = ref _states[slot];
        quality = Covers(key.Protocol)
            ? Open(_keys.For(key, initiatorIsA, evidence, Options.Aggregation), key.Protocol, openedByInitiator, flags)
            : ConnectionQuality.Initial(-1);
        quality.OpenedAt = now;
        if (quality.Attempt == AttemptState.SynSent)
        {
            Append(slot);
        }
    }

    public void Segment(int slot, in DecodedPacket packet, bool fromInitiator, bool firstReset, int connectionSeries, long now)
    {
        if (Segment(ref _states[slot], packet, fromInitiator, firstReset, connectionSeries, now))
        {
            Unlink(slot);
        }
    }

    public void Datagram(int slot, bool fromInitiator) => Datagram(ref _states[slot], fromInitiator);

    public void Observed(int slot, byte protocol, TcpFlags initiatorFlags, TcpFlags targetFlags, bool targetSent, bool? firstResetFromInitiator, bool initiatorIsA, in ObservedQuality measured, int connectionSeries)
    {
        ref var quality = ref _states[slot];
        if (protocol == IpProtocol.Udp)
        {
            Datagram(ref quality, fromInitiator: !targetSent);
            if (measured.UnreachableQuoted(fromA: initiatorIsA))
            {
                Unreachable(ref quality);
            }

            return;
        }

        if (protocol != IpProtocol.Tcp)
        {
            return;
        }

        Measured(ref quality, measured, initiatorIsA, connectionSeries);

        var waiting = quality.Attempt == AttemptState.SynSent;
        var refused = false;
        if (quality.Attempt == AttemptState.SynSent)
        {
            if ((targetFlags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack))
            {
                quality.Attempt = AttemptState.SynAckReceived;
            }
            else if ((targetFlags & TcpFlags.Rst) != 0)
            {
                Count(ref quality, AttemptResult.Refused);
                refused = true;
            }
        }

        if (quality.Attempt is AttemptState.SynSent or AttemptState.SynAckReceived && (initiatorFlags & TcpFlags.Ack) != 0)
        {
            // The initiator acknowledged: the handshake completed (also when the engine missed the SYN-ACK).
            Count(ref quality, AttemptResult.Established);
        }

        if (firstResetFromInitiator is { } fromInitiator && !refused)
        {
            _store.CountReset(quality.Series, fromInitiator);
        }

        if (measured.UnreachableQuoted(fromA: initiatorIsA))
        {
            Unreachable(ref quality);
        }

        if (waiting && quality.Attempt != AttemptState.SynSent)
        {
            Unlink(slot);
        }
    }

    public void Unreachable(int slot)
    {
        if (Unreachable(ref _states[slot]))
        {
            Unlink(slot);
        }
    }

    public long HandshakeRtt(int slot) => slot < _states.Length ? _states[slot].InitialRtt : 0;

    public uint Retransmissions(int slot, bool fromInitiator) => slot >= _states.Length
        ? 0
        : fromInitiator ? _states[slot].InitiatorRetransmissions : _states[slot].TargetRetransmissions;

    public void Closed(int slot)
    {
        ref var quality = ref _states[slot];
        if (quality.Attempt == AttemptState.SynSent)
        {
            Unlink(slot);
        }

        _store.Release(quality.Series);
    }

    public void Withdrawn(int slot)
    {
        ref var quality = ref _states[slot];
        if (quality.Attempt == AttemptState.SynSent)
        {
            Unlink(slot);
        }

        _store.Withdraw(quality.Series);
    }

    /// <summary>Attempts unanswered for <c>syn_timeout</c> count as timed out.</summary>
    public void Advance(long now)
    {
        while (_pendingHead != NoSlot)
        {
            var head = _pendingHead;
            if (now - _states[head].OpenedAt < SynTimeoutNanoseconds)
            {
                break;
            }

            Unlink(head);
            Count(ref _states[head], AttemptResult.Timeout);
        }
    }

    public long ApproximateBytes() => (long)_states.Length * Unsafe.SizeOf<ConnectionQuality>();

    private void EnsureState(int slot)
    {
        if (slot >= _states.Length)
        {
            var size = Math.Max(slot + 1, Math.Min(Math.Max(1024, _states.Length * 2), _tableCapacity));
            Array.Resize(ref _states, size);
        }
    }

    private void Append(int slot)
    {
        ref var links = ref _states[slot].Pending;
        links.Previous = _pendingTail;
        links.Next = NoSlot;
        if (_pendingTail != NoSlot)
        {
            _states[_pendingTail].Pending.Next = slot;
        }
        else
        {
            _pendingHead = slot;
        }

        _pendingTail = slot;
    }

    private void Unlink(int slot)
    {
        ref var links = ref _states[slot].Pending;
        if (links.Previous != NoSlot)
        {
            _states[links.Previous].Pending.Next = links.Next;
        }
        else
        {
            _pendingHead = links.Next;
        }

        if (links.Next != NoSlot)
        {
            _states[links.Next].Pending.Previous = links.Previous;
        }
        else
        {
            _pendingTail = links.Previous;
        }

        links = ListLinks.None;
    }

    private ConnectionQuality Open(in SeriesKey key, byte protocol, bool openedByInitiator, TcpFlags flags)
    {
        var quality = ConnectionQuality.Initial(_store.Acquire(key));
        if (openedByInitiator)
        {
            if (protocol == IpProtocol.Udp)
            {
                quality.Attempt = AttemptState.DatagramSent;
            }
            else if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
            {
                quality.Attempt = AttemptState.SynSent;
            }
        }

        return quality;
    }

    /// <summary>
    /// Accounts one TCP segment. Returns true when its attempt stopped waiting for an answer (the table takes it off its
    /// timeout list).
    /// </summary>
    /// <param name="firstReset">The segment carries the connection's first RST.</param>
    /// <param name="connectionSeries">The connection's series, which shows the handshake RTT at the connection level.</param>
    /// <param name="time">The segment's capture time (ns).</param>
    private bool Segment(ref ConnectionQuality quality, in DecodedPacket packet, bool fromInitiator, bool firstReset, int connectionSeries, long time)
    {
        var flags = packet.TcpFlags;
        if (packet.HasTcpHeader && !packet.IsFragment)
        {
            Analyze(ref quality, packet, fromInitiator, connectionSeries, time);
        }

        var waiting = quality.Attempt == AttemptState.SynSent;
        var refused = false;
        if (!fromInitiator && quality.Attempt == AttemptState.SynSent)
        {
            if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack))
            {
                quality.Attempt = AttemptState.SynAckReceived;
            }
            else if ((flags & TcpFlags.Rst) != 0)
            {
                Count(ref quality, AttemptResult.Refused);
                refused = true;
            }
        }
        else if (fromInitiator && quality.Attempt is AttemptState.SynSent or AttemptState.SynAckReceived
            && (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Ack)
        {
            // The ACK that completes the handshake (also when the capture missed the SYN-ACK).
            Count(ref quality, AttemptResult.Established);
        }

        if (firstReset && !refused)
        {
            _store.CountReset(quality.Series, fromInitiator);
        }

        return waiting && quality.Attempt != AttemptState.SynSent;
    }

    /// <summary>Accounts one UDP datagram: the first from the target answers the initiator's attempt.</summary>
    private void Datagram(ref ConnectionQuality quality, bool fromInitiator)
    {
        if (!fromInitiator && quality.Attempt == AttemptState.DatagramSent)
        {
            Count(ref quality, AttemptResult.Established);
        }
    }

    /// <summary>
    /// An ICMP destination unreachable quoted a packet of the initiator. Returns true when the attempt was waiting on
    /// the timeout list.
    /// </summary>
    private bool Unreachable(ref ConnectionQuality quality)
    {
        if (quality.Attempt is not (AttemptState.SynSent or AttemptState.DatagramSent))
        {
            return false;
        }

        var waiting = quality.Attempt == AttemptState.SynSent;
        Count(ref quality, AttemptResult.Unreachable);
        return waiting;
    }

    private void Analyze(ref ConnectionQuality quality, in DecodedPacket packet, bool fromInitiator, int connectionSeries, long time)
    {
        var flags = packet.TcpFlags;
        ref var forward = ref fromInitiator ? ref quality.Initiator : ref quality.Target;
        ref var reverse = ref fromInitiator ? ref quality.Target : ref quality.Initiator;
        var kinds = TcpSequenceAnalysis.Analyze(
            ref forward, ref reverse, packet.TcpSequence, packet.TcpAcknowledgement, (uint)packet.PayloadLength, flags, packet.TcpWindow, time, quality.InitialRtt);
        if ((kinds & TcpSegmentKinds.Retransmission) != 0)
        {
            if (fromInitiator)
            {
                quality.InitiatorRetransmissions++;
            }
            else
            {
                quality.TargetRetransmissions++;
            }

            _store.CountRetransmission(quality.Series, fromInitiator);
        }

        if ((kinds & TcpSegmentKinds.ZeroWindow) != 0)
        {
            _store.CountZeroWindow(quality.Series, fromInitiator);
        }

        // As tshark, after the sequence analysis of the segment: the latest SYN, then the first ACK without SYN after it.
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
        {
            quality.SynTime = time;
        }
        else if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Ack && quality.SynTime != 0 && quality.InitialRtt == 0)
        {
            quality.InitialRtt = time - quality.SynTime;

            // A handshake is the initiator's ACK; tshark also takes the target's RST-ACK refusing the SYN.
            if (fromInitiator && (flags & TcpFlags.Rst) == 0 && quality.InitialRtt != 0)
            {
                _store.ObserveHandshake(quality.Series, quality.InitialRtt);
                _connections.SetHandshake(connectionSeries, quality.InitialRtt);
            }
        }
    }

    /// <summary>
    /// What the other engine's own sequence analysis found (the rules of <see cref="Analyze"/>, run where the packets
    /// are): its retransmitted and zero-window segments, and the handshake RTT recorded as <see cref="Analyze"/> records
    /// it (once, from the initiator's ACK without RST).
    /// </summary>
    private void Measured(ref ConnectionQuality quality, in ObservedQuality measured, bool initiatorIsA, int connectionSeries)
    {
        var (initiatorRetransmissions, targetRetransmissions) = initiatorIsA
            ? (measured.RetransmissionsFromA, measured.RetransmissionsFromB)
            : (measured.RetransmissionsFromB, measured.RetransmissionsFromA);
        var (initiatorZeroWindows, targetZeroWindows) = initiatorIsA
            ? (measured.ZeroWindowsFromA, measured.ZeroWindowsFromB)
            : (measured.ZeroWindowsFromB, measured.ZeroWindowsFromA);
        quality.InitiatorRetransmissions += initiatorRetransmissions;
        quality.TargetRetransmissions += targetRetransmissions;
        _store.CountRetransmissions(quality.Series, forward: true, initiatorRetransmissions);
        _store.CountRetransmissions(quality.Series, forward: false, targetRetransmissions);
        _store.CountZeroWindows(quality.Series, forward: true, initiatorZeroWindows);
        _store.CountZeroWindows(quality.Series, forward: false, targetZeroWindows);

        if (measured.HandshakeRtt != 0 && quality.InitialRtt == 0)
        {
            quality.InitialRtt = measured.HandshakeRtt;
            if (measured.HandshakeAckFromB != initiatorIsA && !measured.HandshakeAckReset)
            {
                _store.ObserveHandshake(quality.Series, quality.InitialRtt);
                _connections.SetHandshake(connectionSeries, quality.InitialRtt);
            }
        }
    }

    private void Count(ref ConnectionQuality quality, AttemptResult result)
    {
        _store.CountAttempt(quality.Series, result);
        quality.Attempt = AttemptState.None;
    }
}
