namespace FlowExporter.Correlator.Ipfix;

/// <summary>What the endpoint metadata knows of one end of a flow; empty strings when nothing.</summary>
public sealed record FlowEndpointNames(string Namespace, string Pod, string Node, string WorkloadKind, string Workload)
{
    public static FlowEndpointNames Unknown { get; } = new(string.Empty, string.Empty, string.Empty, string.Empty, string.Empty);
}
