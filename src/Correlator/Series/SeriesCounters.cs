namespace FlowExporter.Correlator.Series;

/// <summary>Cumulative bytes and packets of one series, per direction (forward: initiator to target).</summary>
public record struct SeriesCounters(ulong ForwardBytes, ulong BackwardBytes, ulong ForwardPackets, ulong BackwardPackets);
