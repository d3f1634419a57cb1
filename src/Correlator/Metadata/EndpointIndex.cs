using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// An immutable snapshot of what metadata knows, read without locks from any thread (sources publish a new one by
/// swapping a reference). Its tables are handed over by the builder and never written again, which is what makes
/// concurrent reads safe. Lookups: an exact address (pod IP, node IP of host-network pods, static IP) first, then a
/// Service ClusterIP, then the longest CIDR prefix that contains the address.
/// </summary>
public sealed class EndpointIndex
{
    private readonly Dictionary<IpAddress, NetworkEndpoint> _addresses;
    private readonly Dictionary<IpAddress, NetworkEndpoint> _services;
    private readonly CidrTable _cidrs;

    internal EndpointIndex(
        Dictionary<IpAddress, NetworkEndpoint> addresses,
        Dictionary<IpAddress, NetworkEndpoint> services,
        CidrTable cidrs)
    {
        _addresses = addresses;
        _services = services;
        _cidrs = cidrs;
    }

    public static EndpointIndex Empty { get; } =
        new(new Dictionary<IpAddress, NetworkEndpoint>(), new Dictionary<IpAddress, NetworkEndpoint>(), CidrTable.Empty);

    /// <summary>Pod IPs, node IPs (host-network) and static single IPs, each with its endpoint.</summary>
    public IReadOnlyDictionary<IpAddress, NetworkEndpoint> Addresses => _addresses;

    /// <summary>Service ClusterIPs.</summary>
    public IReadOnlyDictionary<IpAddress, NetworkEndpoint> Services => _services;

    /// <summary>CIDR entries (from the static file), matched by longest prefix.</summary>
    public IReadOnlyDictionary<IpPrefix, NetworkEndpoint> Cidrs => _cidrs.Entries;

    public int Count => _addresses.Count + _services.Count + _cidrs.Entries.Count;

    /// <summary>The endpoint for an address: exact entry, else ClusterIP, else the longest matching CIDR; null if none.</summary>
    public NetworkEndpoint? Find(IpAddress address)
    {
        if (_addresses.TryGetValue(address, out var endpoint) || _services.TryGetValue(address, out endpoint))
        {
            return endpoint;
        }

        return _cidrs.Find(address);
    }

    /// <summary>The Service whose ClusterIP this is, if any.</summary>
    public NetworkEndpoint? FindService(IpAddress address) => _services.TryGetValue(address, out var endpoint) ? endpoint : null;

    /// <summary>
    /// Merges per-source snapshots into one. For the same key (address, ClusterIP or CIDR) a live entry beats a retained
    /// one, then the source with precedence (<see cref="EndpointSource"/>: Kubernetes, then OVS, then the static file),
    /// then a pod beats a node entry. Exact addresses always beat CIDRs at lookup, whatever their source.
    /// </summary>
    public static EndpointIndex Merge(IEnumerable<EndpointIndex> snapshots)
    {
        var builder = new EndpointIndexBuilder();
        foreach (var snapshot in snapshots)
        {
            foreach (var (address, endpoint) in snapshot._addresses)
            {
                builder.AddAddress(address, endpoint, replaceOnTie: false);
            }

            foreach (var (address, endpoint) in snapshot._services)
            {
                builder.AddService(address, endpoint, replaceOnTie: false);
            }

            foreach (var (prefix, endpoint) in snapshot._cidrs.Entries)
            {
                builder.AddCidr(prefix, endpoint, replaceOnTie: false);
            }
        }

        return builder.Build();
    }
}
