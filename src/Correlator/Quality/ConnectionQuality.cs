using System.Runtime.InteropServices;
using FlowExporter.Correlator.Collections;

namespace FlowExporter.Correlator.Quality;

#pragma warning disable CA1051 // Fields on purpose: updated in place inside the connection table.

/// <summary>The quality state of one connection, kept by the table beside its entry (same slot): bounded, a few numbers per direction.</summary>
[StructLayout(LayoutKind.Auto)] // 112 bytes instead of 152: no padding between the small fields
public struct ConnectionQuality
{
    /// <summary>The connection's quality series (-1: none).</summary>
    public int Series;

    /// <summary>Links in the table's list of attempts waiting for an answer, oldest first.</summary>
    public ListLinks Pending;

    /// <summary>Capture time (ns) the connection opened: its attempt times out counting from here.</summary>
    public long OpenedAt;

    /// <summary>Capture time (ns) of the latest SYN without ACK, either way (tshark's ts_mru_syn); 0: none.</summary>
    public long SynTime;

    /// <summary>
    /// Time (ns) from that SYN to the first segment with ACK and without SYN, either way (tshark's initial RTT,
    /// <c>tcp.analysis.initial_rtt</c>); 0 while unknown, as tshark counts it.
    /// </summary>
    public long InitialRtt;

    /// <summary>Retransmitted segments the initiator sent since the connection opened (flow records send deltas of it).</summary>
    public uint InitiatorRetransmissions;

    /// <summary>Retransmitted segments the target sent since the connection opened.</summary>
    public uint TargetRetransmissions;

    public TcpDirectionState Initiator;
    public TcpDirectionState Target;
    public AttemptState Attempt;

    public static ConnectionQuality Initial(int series) => new()
    {
        Series = series,
        Pending = ListLinks.None,
        Initiator = TcpDirectionState.Initial,
        Target = TcpDirectionState.Initial,
    };
}
