namespace FlowExporter.Correlator.Tests.Support;

/// <summary>
/// What tshark's TCP analysis says of one TCP stream (<c>tcp.stream</c>): its initiator (the sender of its first SYN
/// without ACK, if seen), its initial RTT and who sent the segment that set it, and its retransmitted and zero-window
/// segments per direction (A and B as in <see cref="ConversationKey"/>).
/// </summary>
internal sealed record TcpStreamQuality(
    int Stream,
    ConversationKey Key,
    string? Initiator,
    long? InitialRttNanoseconds,
    bool RttFromInitiatorAck,
    long RetransmissionsAToB,
    long RetransmissionsBToA,
    long ZeroWindowAToB,
    long ZeroWindowBToA)
{
    /// <summary>The RTT of a handshake the initiator's ACK completed (tshark also takes a refusing RST-ACK).</summary>
    public long? HandshakeNanoseconds => RttFromInitiatorAck ? InitialRttNanoseconds : null;
}
