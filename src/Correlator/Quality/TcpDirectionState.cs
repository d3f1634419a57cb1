using System.Runtime.InteropServices;

namespace FlowExporter.Correlator.Quality;

#pragma warning disable CA1051 // Fields on purpose: updated in place inside the connection table.

/// <summary>
/// What sequence analysis remembers of one direction of a TCP connection: a few numbers, never a list of segments.
/// The fields are those of tshark's per-flow analysis state that its retransmission decision reads.
/// </summary>
[StructLayout(LayoutKind.Auto)] // 32 bytes instead of 48: the times first, the small fields packed after them
public struct TcpDirectionState
{
    /// <summary>The highest sequence number past the end of any segment seen (SYN and FIN count one); 0 = none yet.</summary>
    public uint NextSequence;

    /// <summary>Capture time (ns) of the segment that last advanced <see cref="NextSequence"/>.</summary>
    public long NextSequenceTime;

    /// <summary>The acknowledgement number of the last segment sent in this direction.</summary>
    public uint LastAck;

    /// <summary>Capture time (ns) of the last segment sent in this direction.</summary>
    public long LastAckTime;

    /// <summary>The raw window of the last segment in this direction; -1 before the first.</summary>
    public int Window;

    /// <summary>Duplicate acknowledgements sent in a row in this direction (saturating: only "two or more" is read).</summary>
    public ushort DuplicateAcks;

    /// <summary>Whether the last segment in this direction was a keep-alive or a zero-window probe.</summary>
    public TcpSegmentKinds LastKinds;

    public static TcpDirectionState Initial => new() { Window = -1 };
}
