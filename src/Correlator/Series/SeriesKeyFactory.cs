using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Metadata;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// Builds the series key of a connection at an aggregation level, once, when the connection opens (never per packet).
/// At <see cref="AggregationLevel.Connection"/> and <see cref="AggregationLevel.Endpoint"/> the key is addresses and
/// ports (metadata is joined at scrape time). At <see cref="AggregationLevel.PodPair"/> and
/// <see cref="AggregationLevel.WorkloadPair"/> each end is looked up in the endpoint index current at open and
/// replaced by its interned identity, and <c>observed_at</c> is decided: so a pod that goes away keeps its labels on
/// the connections it had. An end the index does not know keeps its address. Shared by every family aggregated this
/// way (connection bytes, connection quality): one node, one set of capture interface names, one intern table.
/// Not thread-safe: the owner of the pipeline drives it.
/// </summary>
public sealed class SeriesKeyFactory
{
    private readonly Locality _locality;
    private readonly Func<EndpointIndex?>? _endpoints;
    private readonly EndpointIdentities _identities = new();
    private readonly List<string> _interfaceNames = [];

    /// <summary>A factory without metadata: pod and workload levels fall back to addresses.</summary>
    public SeriesKeyFactory()
        : this(string.Empty, null)
    {
    }

    /// <param name="node">This node's name: an end on it (behind the capture interface, where known) is local.</param>
    /// <param name="endpoints">The current endpoint index (called only when a connection opens at a pod or workload
    /// level); null when no metadata source is configured.</param>
    public SeriesKeyFactory(string node, Func<EndpointIndex?>? endpoints)
    {
        _locality = new Locality(node);
        _endpoints = endpoints;
    }

    /// <summary>Identities held by live series keys.</summary>
    public int InternedIdentities => _identities.Count;

    /// <summary>Names a capture interface id (what <c>observed_at</c> compares with an endpoint's OVS port).</summary>
    public void NameInterface(ushort captureInterface, string name)
    {
        while (_interfaceNames.Count <= captureInterface)
        {
            _interfaceNames.Add(string.Empty);
        }

        _interfaceNames[captureInterface] = name;
    }

    /// <summary>
    /// The key of a connection's series. The initiator's port is kept only at the connection level; the target's port
    /// at every level (a service port: few per target, and what tells a pod's API from its metrics port).
    /// The key holds one reference on each identity in it: see <see cref="SeriesKey.ReleaseIdentities"/>.
    /// </summary>
    public SeriesKey For(in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence, AggregationLevel level)
    {
        var hasPorts = IpProtocol.HasPorts(key.Protocol);
        var (initiator, initiatorPort, target, targetPort) = initiatorIsA
            ? (key.AddressA, key.PortA, key.AddressB, key.PortB)
            : (key.AddressB, key.PortB, key.AddressA, key.PortA);
        var keepInitiatorPort = hasPorts && level == AggregationLevel.Connection;
        var addresses = new SeriesKey(
            key.Interface,
            key.Protocol,
            evidence,
            initiator,
            keepInitiatorPort ? initiatorPort : (ushort)0,
            target,
            hasPorts ? targetPort : (ushort)0,
            keepInitiatorPort,
            hasPorts);
        if (level is AggregationLevel.Connection or AggregationLevel.Endpoint || _endpoints?.Invoke() is not { } endpoints)
        {
            return addresses;
        }

        var initiatorEndpoint = endpoints.Find(initiator);
        var targetEndpoint = endpoints.Find(target);
        var captureInterface = key.Interface < _interfaceNames.Count ? _interfaceNames[key.Interface] : string.Empty;
        var observedAt = _locality.Decide(initiatorEndpoint, targetEndpoint?.Service is null ? targetEndpoint : null, captureInterface);
        var initiatorIdentity = Intern(initiatorEndpoint, level, asTarget: false);
        var targetIdentity = Intern(targetEndpoint, level, asTarget: true);
        return addresses with
        {
            Initiator = initiatorIdentity is null ? initiator : default,
            Target = targetIdentity is null ? target : default,
            InitiatorIdentity = initiatorIdentity,
            TargetIdentity = targetIdentity,
            ObservedAt = observedAt,
        };
    }

    private EndpointIdentity? Intern(NetworkEndpoint? endpoint, AggregationLevel level, bool asTarget)
    {
        if (endpoint is null)
        {
            return null;
        }

        EndpointIdentityValue value;
        if (asTarget && endpoint.Service is { } service)
        {
            value = new EndpointIdentityValue(service.Namespace, string.Empty, string.Empty, service.Name);
        }
        else if (level == AggregationLevel.WorkloadPair && endpoint.Workload.Length > 0)
        {
            value = new EndpointIdentityValue(endpoint.Namespace, string.Empty, endpoint.Workload, string.Empty);
        }
        else
        {
            // A pod whose workload metadata does not know (OVS external_ids) stays a pod at the workload level too.
            value = new EndpointIdentityValue(endpoint.Namespace, endpoint.PodName, endpoint.Workload, string.Empty);
        }

        return value.IsEmpty ? null : _identities.Acquire(value);
    }
}
