namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// Where an endpoint's labels came from. The numeric order is the precedence when two sources name the same IP:
/// a lower value wins (see <see cref="EndpointIndex.Merge"/> and docs/metadata.md).
/// </summary>
public enum EndpointSource
{
    /// <summary>The Kubernetes API (list + watch): authoritative and current for the whole cluster.</summary>
    Kubernetes = 0,

    /// <summary>OVS <c>external_ids</c> written by the CNI: local to this node, no workload, may lag a deletion.</summary>
    Ovs = 1,

    /// <summary>The static endpoints file: hand-written, for hosts outside Kubernetes.</summary>
    StaticFile = 2,
}
