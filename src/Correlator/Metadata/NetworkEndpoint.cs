namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// What metadata knows about one IP (or CIDR): the pod (or host, for the static file) behind it, its node and workload.
/// Strings are never null; an unknown value is empty. For a ClusterIP, <see cref="Service"/> is set and the pod
/// fields are empty. For an IP shared by host-network pods, <see cref="HostNetwork"/> is true, the pod fields are
/// empty and the workload is the node (kind <see cref="WorkloadKinds.Node"/>).
/// </summary>
public sealed record NetworkEndpoint(
    string Namespace,
    string PodName,
    string Node,
    string WorkloadKind,
    string Workload,
    bool HostNetwork,
    EndpointSource Source)
{
    /// <summary>The Service whose ClusterIP this is; null for pods and hosts.</summary>
    public ServiceRef? Service { get; init; }

    /// <summary>The interface the endpoint sits behind on this node (OVS port, veth), when a source knows it.</summary>
    public string Interface { get; init; } = string.Empty;

    /// <summary>True when the object is gone but its labels are kept for a grace period (see <see cref="RetainedEndpoints"/>).</summary>
    public bool Retained { get; init; }

    /// <summary>The endpoint that stands for a node's own IP, shared by all host-network pods on it.</summary>
    public static NetworkEndpoint ForNode(string node, EndpointSource source) =>
        new(string.Empty, string.Empty, node, WorkloadKinds.Node, node, HostNetwork: true, source);

    /// <summary>The endpoint that stands for a Service's ClusterIP.</summary>
    public static NetworkEndpoint ForService(string @namespace, string name, EndpointSource source) =>
        new(@namespace, string.Empty, string.Empty, WorkloadKinds.Service, name, HostNetwork: false, source)
        {
            Service = new ServiceRef(@namespace, name),
        };
}
