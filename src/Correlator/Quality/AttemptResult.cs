namespace FlowExporter.Correlator.Quality;

/// <summary>How a connection attempt ended (the <c>result</c> label of <c>network_connection_attempts_total</c>).</summary>
public enum AttemptResult : byte
{
    /// <summary>TCP: the initiator acknowledged the handshake. UDP: the target answered.</summary>
    Established,

    /// <summary>The target answered the SYN with an RST.</summary>
    Refused,

    /// <summary>Nothing answered the SYN within <c>quality.syn_timeout</c>.</summary>
    Timeout,

    /// <summary>An ICMP or ICMPv6 destination unreachable quoted the attempt.</summary>
    Unreachable,
}
