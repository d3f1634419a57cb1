using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// Collects entries for one <see cref="EndpointIndex"/> and settles conflicts on the same key. Strength, strongest
/// first: live before retained, then source precedence, then a pod before a node entry. A host-network pod never owns
/// its IP: that IP is the node's, shared by every host-network pod on it, so it is recorded as the node
/// (<see cref="NetworkEndpoint.ForNode"/>), never as whichever of those pods was seen last.
/// </summary>
public sealed class EndpointIndexBuilder
{
    private Dictionary<IpAddress, NetworkEndpoint> _addresses = [];
    private Dictionary<IpAddress, NetworkEndpoint> _services = [];
    private Dictionary<IpPrefix, NetworkEndpoint> _cidrs = [];

    public int Count => _addresses.Count + _services.Count + _cidrs.Count;

    /// <summary>
    /// Adds a pod under each of its IPs. For a host-network pod the IPs map to its node instead. Among equally strong
    /// pods claiming one IP (an IP reused while the old pod's deletion is still on its way) the one added last wins, so
    /// callers add pods in the order they were last seen.
    /// </summary>
    public void AddPod(NetworkEndpoint pod, IEnumerable<IpAddress> addresses)
    {
        var endpoint = pod.HostNetwork ? NetworkEndpoint.ForNode(pod.Node, pod.Source) with { Retained = pod.Retained } : pod;
        foreach (var address in addresses)
        {
            AddAddress(address, endpoint, replaceOnTie: true);
        }
    }

    /// <summary>Records that an address is a node's own (from a pod's <c>status.hostIPs</c>); any pod entry beats it.</summary>
    public void AddNode(string node, IpAddress address, EndpointSource source) =>
        AddAddress(address, NetworkEndpoint.ForNode(node, source), replaceOnTie: false);

    public void AddAddress(IpAddress address, NetworkEndpoint endpoint, bool replaceOnTie = true) =>
        Put(_addresses, address, endpoint, replaceOnTie);

    public void AddService(IpAddress clusterIp, NetworkEndpoint endpoint, bool replaceOnTie = true) =>
        Put(_services, clusterIp, endpoint, replaceOnTie);

    public void AddCidr(IpPrefix prefix, NetworkEndpoint endpoint, bool replaceOnTie = true) =>
        Put(_cidrs, prefix, endpoint, replaceOnTie);

    /// <summary>Hands the tables over to a new index (no copy) and starts the builder afresh.</summary>
    public EndpointIndex Build()
    {
        var index = Count == 0 ? EndpointIndex.Empty : new EndpointIndex(_addresses, _services, CidrTable.Create(_cidrs));
        _addresses = [];
        _services = [];
        _cidrs = [];
        return index;
    }

    /// <summary>Lower is stronger.</summary>
    internal static int Weakness(NetworkEndpoint endpoint) =>
        (endpoint.Retained ? 100 : 0) + ((int)endpoint.Source * 10) + (endpoint.WorkloadKind == WorkloadKinds.Node && endpoint.HostNetwork ? 1 : 0);

    private static void Put<TKey>(Dictionary<TKey, NetworkEndpoint> table, TKey key, NetworkEndpoint endpoint, bool replaceOnTie)
        where TKey : notnull
    {
        if (table.TryGetValue(key, out var existing))
        {
            var newWeakness = Weakness(endpoint);
            var oldWeakness = Weakness(existing);
            if (newWeakness > oldWeakness || (newWeakness == oldWeakness && !replaceOnTie))
            {
                return;
            }
        }

        table[key] = endpoint;
    }
}
