namespace FlowExporter.Correlator.Quality;

/// <summary>Where a connection's attempt stands.</summary>
public enum AttemptState : byte
{
    /// <summary>No attempt to follow (not opened by its initiator's SYN or datagram), or already counted.</summary>
    None,

    /// <summary>The initiator's SYN was seen and nothing answered it yet: on the timeout list.</summary>
    SynSent,

    /// <summary>The target's SYN-ACK answered; the initiator's ACK will count it established.</summary>
    SynAckReceived,

    /// <summary>The initiator's first datagram was seen and nothing came back yet.</summary>
    DatagramSent,
}
