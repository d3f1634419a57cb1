using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// <c>network_endpoint_info{ip, pod_namespace, pod_name, node, workload_kind, workload, interface} 1</c>: one sample
/// per exact address of the index (pod IPs, node IPs of host-network pods as kind Node, static single IPs), for PromQL
/// joins. ClusterIPs and CIDRs are not endpoints and are not written.
/// </summary>
public static class EndpointInfoSeries
{
    public static readonly MetricFamily Family = new(
        "network_endpoint_info",
        MetricType.Gauge,
        "Metadata known for an IP address (pod, node or static host); always 1.");

    public static void Write(ExpositionWriter writer, EndpointIndex index)
    {
        if (index.Addresses.Count == 0)
        {
            return;
        }

        writer.Family(Family);
        foreach (var (address, endpoint) in index.Addresses)
        {
            writer.BeginSample(Family);
            writer.Label("ip"u8, address);
            writer.Label("pod_namespace"u8, endpoint.Namespace);
            writer.Label("pod_name"u8, endpoint.PodName);
            writer.Label("node"u8, endpoint.Node);
            writer.Label("workload_kind"u8, endpoint.WorkloadKind);
            writer.Label("workload"u8, endpoint.Workload);
            writer.Label("interface"u8, endpoint.Interface);
            writer.Value(1L);
        }
    }
}
