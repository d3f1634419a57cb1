using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// Connection quality from the packets the connection table already sees: the handshake RTT (tshark's initial RTT),
/// how each attempt ended, and retransmitted, zero-window and reset segments. Works on the <see cref="ConnectionQuality"/>
/// kept in each table entry; the table keeps the list of attempts waiting for an answer and says when one timed out.
/// No allocation per packet. Not thread-safe: the table's owner drives it.
/// </summary>
public sealed class QualityTracker
{
    private readonly QualitySeriesStore _store;
    private readonly ConnectionSeriesStore _connections;

    public QualityTracker(QualityOptions options, QualitySeriesStore store, ConnectionSeriesStore connections)
    {
        Options = options;
        _store = store;
        _connections = connections;
        SynTimeoutNanoseconds = options.SynTimeout.Ticks * 100;
    }

    public QualityOptions Options { get; }

    public QualitySeriesStore Store => _store;

    public long SynTimeoutNanoseconds { get; }

    /// <summary>Quality is kept for TCP and UDP connections only (others get <c>ConnectionQuality.Initial(-1)</c>).</summary>
    public static bool Covers(byte protocol) => protocol is IpProtocol.Tcp or IpProtocol.Udp;

    /// <summary>
    /// The quality state of a new TCP or UDP connection, holding its series (the store takes over the key). A TCP connection opened by its initiator's SYN starts
    /// an attempt (<see cref="AttemptState.SynSent"/>: the table puts it on its timeout list); a UDP flow opened by its
    /// initiator's datagram starts one that only an answer or an ICMP unreachable ends.
    /// </summary>
    public ConnectionQuality Open(in SeriesKey key, byte protocol, bool openedByInitiator, TcpFlags flags)
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
    public bool Segment(ref ConnectionQuality quality, in DecodedPacket packet, bool fromInitiator, bool firstReset, int connectionSeries, long time)
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
    public void Datagram(ref ConnectionQuality quality, bool fromInitiator)
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
    public bool Unreachable(ref ConnectionQuality quality)
    {
        if (quality.Attempt is not (AttemptState.SynSent or AttemptState.DatagramSent))
        {
            return false;
        }

        var waiting = quality.Attempt == AttemptState.SynSent;
        Count(ref quality, AttemptResult.Unreachable);
        return waiting;
    }

    /// <summary>The table found the attempt on its timeout list for <c>syn_timeout</c>.</summary>
    public void TimedOut(ref ConnectionQuality quality) => Count(ref quality, AttemptResult.Timeout);

    /// <summary>The connection left the table. An attempt still open is not counted: its outcome was not seen.</summary>
    public void Close(ref ConnectionQuality quality) => _store.Release(quality.Series);

    private void Analyze(ref ConnectionQuality quality, in DecodedPacket packet, bool fromInitiator, int connectionSeries, long time)
    {
        var flags = packet.TcpFlags;
        ref var forward = ref fromInitiator ? ref quality.Initiator : ref quality.Target;
        ref var reverse = ref fromInitiator ? ref quality.Target : ref quality.Initiator;
        var kinds = TcpSequenceAnalysis.Analyze(
            ref forward, ref reverse, packet.TcpSequence, packet.TcpAcknowledgement, (uint)packet.PayloadLength, flags, packet.TcpWindow, time, quality.InitialRtt);
        if ((kinds & TcpSegmentKinds.Retransmission) != 0)
        {
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

    private void Count(ref ConnectionQuality quality, AttemptResult result)
    {
        _store.CountAttempt(quality.Series, result);
        quality.Attempt = AttemptState.None;
    }
}
