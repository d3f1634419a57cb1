using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// Classifies one TCP segment against the state of its direction and of the reverse one, the way tshark's sequence
/// analysis does (packet-tcp.c, tcp_analyze_sequence_number) as far as its retransmission, zero-window and keep-alive
/// decisions go, but with a few numbers per direction instead of a list of unacknowledged segments.
/// A retransmission here is what tshark marks <c>tcp.analysis.retransmission</c>: its plain, fast and spurious
/// retransmissions, not its out-of-order segments. Sequence numbers compare modulo 2^32.
/// </summary>
public static class TcpSequenceAnalysis
{
    private const long FastRetransmissionWindow = 20_000_000;
    private const long DefaultOutOfOrderThreshold = 3_000_000;

    /// <param name="forward">The direction the segment travels in.</param>
    /// <param name="reverse">The other direction.</param>
    /// <param name="initialRtt">The connection's initial RTT (ns) as tshark computes it, 0 while unknown: a segment that
    /// fills a hole sooner than this after the highest one is out of order, not retransmitted.</param>
    public static TcpSegmentKinds Analyze(
        ref TcpDirectionState forward,
        ref TcpDirectionState reverse,
        uint sequence,
        uint ack,
        uint length,
        TcpFlags flags,
        ushort window,
        long time,
        long initialRtt)
    {
        var kinds = TcpSegmentKinds.None;
        var plain = (flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) == 0;
        if (length == 1 && sequence == forward.NextSequence && reverse.Window == 0)
        {
            kinds |= TcpSegmentKinds.ZeroWindowProbe;
        }
        else
        {
            if (window == 0 && plain)
            {
                kinds |= TcpSegmentKinds.ZeroWindow;
            }

            if (length <= 1 && sequence == forward.NextSequence - 1 && plain)
            {
                kinds |= TcpSegmentKinds.KeepAlive;
            }

            var repeatsLast = length == 0 && window == forward.Window && sequence == forward.NextSequence && ack == forward.LastAck && plain;
            if (repeatsLast && window != 0 && (reverse.LastKinds & TcpSegmentKinds.KeepAlive) == 0)
            {
                // Not the acknowledgement of a keep-alive (nor, window 0, of a zero-window probe): a duplicate ACK.
                if (forward.DuplicateAcks < ushort.MaxValue)
                {
                    forward.DuplicateAcks++;
                }
            }
        }

        if (ack != forward.LastAck)
        {
            forward.DuplicateAcks = 0;
        }

        if ((length > 0 || (flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0) && (kinds & TcpSegmentKinds.KeepAlive) == 0
            && IsRetransmission(forward, reverse, sequence, length, time, initialRtt))
        {
            kinds |= TcpSegmentKinds.Retransmission;
        }

        var next = sequence + length + ((flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0 ? 1u : 0u);
        if ((After(next, forward.NextSequence) || forward.NextSequence == 0) && (kinds & TcpSegmentKinds.ZeroWindowProbe) == 0)
        {
            forward.NextSequence = next;
            forward.NextSequenceTime = time;
        }

        forward.Window = window;
        forward.LastAck = ack;
        forward.LastAckTime = time;
        forward.LastKinds = kinds & (TcpSegmentKinds.KeepAlive | TcpSegmentKinds.ZeroWindowProbe);
        return kinds;
    }

    private static bool IsRetransmission(in TcpDirectionState forward, in TcpDirectionState reverse, uint sequence, uint length, long time, long initialRtt)
    {
        var notAdvanced = forward.NextSequence != 0 && After(forward.NextSequence, sequence);

        // More than one byte starting one before the expected sequence number follows a zero-window probe: new data.
        if (length > 1 && forward.NextSequence - 1 == sequence)
        {
            notAdvanced = false;
        }

        // Fast retransmission: answers two or more duplicate ACKs within 20 ms.
        if (notAdvanced && reverse.DuplicateAcks >= 2 && reverse.LastAck == sequence && Within(reverse.LastAckTime, time, FastRetransmissionWindow))
        {
            return true;
        }

        // Out of order: fills a hole sooner after the highest segment than a round trip would allow a retransmission.
        var threshold = initialRtt != 0 ? initialRtt : DefaultOutOfOrderThreshold;
        if (notAdvanced && Within(forward.NextSequenceTime, time, threshold) && forward.NextSequence != sequence + length)
        {
            return false;
        }

        // Spurious: data the peer has already acknowledged.
        if (length > 0 && reverse.LastAck != 0 && !After(sequence + length, reverse.LastAck))
        {
            return true;
        }

        return notAdvanced;
    }

    /// <summary>
    /// Less than <paramref name="limit"/> passed from <paramref name="since"/> to <paramref name="time"/>, the difference
    /// taken unsigned as tshark takes it (a time before <paramref name="since"/> is never within).
    /// </summary>
    private static bool Within(long since, long time, long limit) => (ulong)(time - since) < (ulong)limit;

    /// <summary><paramref name="a"/> is after <paramref name="b"/> in sequence space.</summary>
    private static bool After(uint a, uint b) => (int)(b - a) < 0;
}
