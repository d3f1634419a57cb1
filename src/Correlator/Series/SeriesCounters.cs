namespace FlowExporter.Correlator.Series;

/// <summary>
/// Cumulative bytes and packets of one series, per direction (forward: initiator to target), and the handshake RTT of
/// the latest connection on it whose handshake was seen (0: none; kept only when quality is on).
/// </summary>
public record struct SeriesCounters(ulong ForwardBytes, ulong BackwardBytes, ulong ForwardPackets, ulong BackwardPackets, long HandshakeRttNanoseconds = 0);
