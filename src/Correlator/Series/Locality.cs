using FlowExporter.Correlator.Metadata;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// Where a capture point sits on a connection (<c>observed_at</c>), the one rule for every series, whether decided
/// when the connection opens (pod and workload levels) or at scrape time (connection and endpoint levels).
/// </summary>
internal sealed class Locality
{
    private readonly string _node;

    /// <param name="node">This node's name.</param>
    public Locality(string node)
    {
        _node = node;
    }

    /// <summary>
    /// <c>initiator</c> when the initiator is local to the capture point (both local counts as initiator), else
    /// <c>target</c> when the target is, else <c>transit</c>: summing one value over all nodes and interfaces never
    /// counts a connection twice. A Service's ClusterIP is never local: pass null for such a target.
    /// </summary>
    public ObservedAt Decide(NetworkEndpoint? initiator, NetworkEndpoint? target, string captureInterface) =>
        IsLocal(initiator, captureInterface) ? ObservedAt.Initiator
        : IsLocal(target, captureInterface) ? ObservedAt.Target
        : ObservedAt.Transit;

    /// <summary>
    /// An end is local to a capture point when it lives on this node and, where metadata knows the port it sits behind
    /// (OVS external_ids), that port is the capture interface: one node capturing on both pods' ports then sees the
    /// connection once as initiator and once as target.
    /// </summary>
    private bool IsLocal(NetworkEndpoint? endpoint, string captureInterface) =>
        endpoint is not null && endpoint.Node == _node && (endpoint.Interface.Length == 0 || endpoint.Interface == captureInterface);
}
