namespace FlowExporter.Correlator.Connections;

/// <summary>A copy of one interface-and-protocol's lifecycle counters, taken under the table's lock.</summary>
public sealed record LifecycleSample(ushort Interface, byte Protocol, long Opened, long Active, long Dropped, long ClosedFin, long ClosedRst, long ClosedTimeout, long ClosedEvicted)
{
    public static LifecycleSample From(LifecycleCounters counters) => new(
        counters.Interface,
        counters.Protocol,
        counters.Opened,
        counters.Active,
        counters.Dropped,
        counters.Closed(CloseReason.Fin),
        counters.Closed(CloseReason.Rst),
        counters.Closed(CloseReason.Timeout),
        counters.Closed(CloseReason.Evicted));
}
