namespace FlowExporter.Correlator.Quality;

/// <summary>What sequence analysis made of one TCP segment (several may hold at once).</summary>
[Flags]
public enum TcpSegmentKinds : byte
{
    None = 0,

    /// <summary>Carries sequence space already seen in its direction (tshark's <c>tcp.analysis.retransmission</c>).</summary>
    Retransmission = 1,

    /// <summary>Advertises a zero receive window, without SYN, FIN or RST (tshark's <c>tcp.analysis.zero_window</c>).</summary>
    ZeroWindow = 2,

    /// <summary>A keep-alive: 0 or 1 byte one before the next expected sequence number; never a retransmission.</summary>
    KeepAlive = 4,

    /// <summary>One byte at the next sequence number while the peer's window is zero.</summary>
    ZeroWindowProbe = 8,
}
