namespace FlowExporter.Correlator.Series;

/// <summary>What one connection carried since the table last flushed it into its series (forward: initiator to target).</summary>
public readonly record struct FlushedCounters(ulong ForwardBytes, ulong BackwardBytes, ulong ForwardPackets, ulong BackwardPackets);
