namespace FlowExporter.Correlator.Connections;

/// <summary>
/// Connection quality another engine measured since its last report of a connection, by side of the canonical key
/// (A, B): the eBPF program runs the libpcap engine's sequence analysis (TcpSequenceAnalysis) in the kernel and decodes
/// ICMP destination unreachable quotes, and reports what it found per sweep interval. Default: nothing measured.
/// </summary>
/// <param name="HandshakeRtt">The latest SYN to the first segment with ACK and without SYN after it (ns, tshark's
/// initial RTT), when that segment is in this report; 0 otherwise.</param>
/// <param name="HandshakeAckFromB">That segment was B's.</param>
/// <param name="HandshakeAckReset">That segment carried RST (a refusal: no handshake is recorded).</param>
/// <param name="UnreachableQuotedFromA">An ICMP destination unreachable quoted a packet A sent.</param>
public readonly record struct ObservedQuality(
    long HandshakeRtt,
    bool HandshakeAckFromB,
    bool HandshakeAckReset,
    uint RetransmissionsFromA,
    uint RetransmissionsFromB,
    uint ZeroWindowsFromA,
    uint ZeroWindowsFromB,
    bool UnreachableQuotedFromA,
    bool UnreachableQuotedFromB)
{
    /// <summary>The same facts with sides A and B exchanged.</summary>
    public ObservedQuality Swapped() => new(
        HandshakeRtt, !HandshakeAckFromB && HandshakeRtt != 0, HandshakeAckReset, RetransmissionsFromB, RetransmissionsFromA,
        ZeroWindowsFromB, ZeroWindowsFromA, UnreachableQuotedFromB, UnreachableQuotedFromA);

    /// <summary>An ICMP destination unreachable quoted a packet of the side given.</summary>
    public bool UnreachableQuoted(bool fromA) => fromA ? UnreachableQuotedFromA : UnreachableQuotedFromB;
}
