namespace FlowExporter.Correlator.Decoding;

/// <summary>What the decoder made of a frame. Everything but <see cref="Ip"/> is counted under its reason.</summary>
public enum DecodeResult : byte
{
    /// <summary>An IP packet whose addresses (and ports where the protocol has them) were read.</summary>
    Ip,

    /// <summary>A well-formed frame that carries no IP (ARP, LLDP, STP...): ignored, counted.</summary>
    NotIp,

    /// <summary>The frame ends before a header it announces.</summary>
    Truncated,

    /// <summary>A header's length field is impossible (IPv4 IHL below 5, TCP data offset below 5, lengths past the end).</summary>
    BadHeaderLength,

    /// <summary>An IP version nibble that is neither 4 nor 6 where IP was announced.</summary>
    BadVersion,

    /// <summary>A link type or encapsulation the decoder does not know.</summary>
    Unsupported,
}
