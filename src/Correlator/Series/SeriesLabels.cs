using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The one label schema of connection and quality series: node, interface, protocol, both ends (address and port, or
/// the identity named at open), the place of a family's own label, <c>initiator_evidence</c>, <c>observed_at</c> and the
/// endpoint metadata of both ends. Keys named at open (pod and workload levels) are rendered from the key alone; others
/// are looked up in the endpoint index once per scrape (<see cref="Resolve"/>) and their metadata labels rendered once
/// per endpoint object and index (a scrape renders each series two or three times, and many series share their pods).
/// One instance per scrape path: <see cref="Begin"/> each scrape, then resolve and render from that scrape only.
/// </summary>
public sealed class SeriesLabels
{
    private static readonly byte[][] EvidenceLabels = [.. new[] { "syn", "synack", "port", "first_packet" }.Select(ExpositionWriter.Escape)];

    private static readonly byte[][] ProtocolLabels = [.. Enumerable.Range(0, 256).Select(p => ExpositionWriter.Escape(IpProtocol.Name((byte)p)))];

    /// <summary>By <see cref="Series.ObservedAt"/> value.</summary>
    private static readonly byte[][] ObservedAtLabels = [[], "initiator"u8.ToArray(), "target"u8.ToArray(), "transit"u8.ToArray()];

    private static readonly EndLabelNames InitiatorNames = new("initiator_namespace"u8.ToArray(), "initiator_pod"u8.ToArray(), "initiator_workload"u8.ToArray());
    private static readonly EndLabelNames TargetNames = new("target_namespace"u8.ToArray(), "target_pod"u8.ToArray(), "target_workload"u8.ToArray());

    private readonly byte[] _nodeLabel;
    private readonly Locality _locality;
    private readonly Dictionary<NetworkEndpoint, byte[]> _initiatorLabels = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NetworkEndpoint, byte[]> _targetLabels = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ServiceRef, byte[]> _serviceLabels = new(ReferenceEqualityComparer.Instance);
    private EndpointIndex? _endpoints;
    private byte[][] _interfaceLabels = [];
    private IReadOnlyList<string> _interfaceNames = [];

    public SeriesLabels(string node)
    {
        Node = node;
        _nodeLabel = ExpositionWriter.Escape(node);
        _locality = new Locality(node);
    }

    public string Node { get; }

    /// <summary>
    /// Starts a scrape: with an endpoint index (a metadata source is configured) series gain the pods, namespaces and
    /// workloads of both ends, the target's Service, and <c>observed_at</c>.
    /// </summary>
    public void Begin(EndpointIndex? endpoints, IReadOnlyList<string> interfaceNames)
    {
        if (!ReferenceEquals(endpoints, _endpoints))
        {
            // A new index: its endpoints are new objects, and the old ones' labels go with the old index.
            _initiatorLabels.Clear();
            _targetLabels.Clear();
            _serviceLabels.Clear();
            _endpoints = endpoints;
        }

        if (!ReferenceEquals(interfaceNames, _interfaceNames))
        {
            _interfaceLabels = [.. interfaceNames.Select(ExpositionWriter.Escape)];
            _interfaceNames = interfaceNames;
        }
    }

    /// <summary>The metadata of both ends of one series key (none when there is no index, or the key was named at open).</summary>
    public ResolvedEnds Resolve(in SeriesKey key)
    {
        if (_endpoints is not { } endpoints || key.ObservedAt != ObservedAt.Unresolved)
        {
            return default;
        }

        var initiator = endpoints.Find(key.Initiator);
        var service = endpoints.FindService(key.Target);
        var target = service is null ? endpoints.Find(key.Target) : null;
        var captureInterface = key.Interface < _interfaceNames.Count ? _interfaceNames[key.Interface] : string.Empty;
        var observedAt = _locality.Decide(initiator, target, captureInterface);
        var targetLabels = service?.Service is { } serviceRef ? ServiceLabels(serviceRef) : target is null ? null : EndpointLabels(target, initiator: false);
        return new ResolvedEnds(initiator is null ? null : EndpointLabels(initiator, initiator: true), targetLabels, ObservedAtLabels[(int)observedAt]);
    }

    /// <summary>
    /// Renders the labels of a series key into <paramref name="set"/>, with the place of a family's own label
    /// (<c>direction</c>, <c>result</c>) marked after the ends.
    /// </summary>
    public void Render(LabelSet set, in SeriesKey key, in ResolvedEnds resolved)
    {
        set.Clear();
        set.AddRaw("node"u8, _nodeLabel);
        if (key.Interface < _interfaceLabels.Length)
        {
            set.AddRaw("interface"u8, _interfaceLabels[key.Interface]);
        }
        else
        {
            set.Add("interface"u8, $"if{key.Interface}");
        }

        set.AddRaw("protocol"u8, ProtocolLabels[key.Protocol]);
        if (key.InitiatorIdentity is null)
        {
            set.Add("initiator_ip"u8, key.Initiator);
        }

        if (key.HasInitiatorPort)
        {
            set.Add("initiator_port"u8, key.InitiatorPort);
        }

        if (key.TargetIdentity is null)
        {
            set.Add("target_ip"u8, key.Target);
        }

        if (key.HasTargetPort)
        {
            set.Add("target_port"u8, key.TargetPort);
        }

        set.MarkPlace();
        set.AddRaw("initiator_evidence"u8, EvidenceLabels[(int)key.Evidence]);
        if (key.ObservedAt != ObservedAt.Unresolved)
        {
            set.AddRaw("observed_at"u8, ObservedAtLabels[(int)key.ObservedAt]);
            if (key.InitiatorIdentity is { } initiator)
            {
                AddEnd(set, InitiatorNames, initiator.Namespace, initiator.Pod, initiator.Workload);
            }

            if (key.TargetIdentity is { } target)
            {
                AddEnd(set, TargetNames, target.Namespace, target.Pod, target.Workload);
                if (target.Service.Length > 0)
                {
                    set.AddRaw("target_service"u8, target.Service);
                }
            }
        }
        else if (resolved.ObservedAt is { } observedAt)
        {
            set.AddRaw("observed_at"u8, observedAt);
            set.AddRendered(resolved.InitiatorLabels);
            set.AddRendered(resolved.TargetLabels);
        }
    }

    /// <summary>The metadata labels of one end, escaped values; an empty value is a label not written.</summary>
    private static void AddEnd(LabelSet set, EndLabelNames names, ReadOnlySpan<byte> ns, ReadOnlySpan<byte> pod, ReadOnlySpan<byte> workload)
    {
        if (ns.Length > 0)
        {
            set.AddRaw(names.Namespace, ns);
        }

        if (pod.Length > 0)
        {
            set.AddRaw(names.Pod, pod);
        }

        if (workload.Length > 0)
        {
            set.AddRaw(names.Workload, workload);
        }
    }

    /// <summary>The labels of an end that metadata knows, rendered once per endpoint object and index.</summary>
    private byte[] EndpointLabels(NetworkEndpoint endpoint, bool initiator)
    {
        var cache = initiator ? _initiatorLabels : _targetLabels;
        if (!cache.TryGetValue(endpoint, out var rendered))
        {
            var set = new LabelSet();
            AddEnd(set, initiator ? InitiatorNames : TargetNames, Escape(endpoint.Namespace), Escape(endpoint.PodName), Escape(endpoint.Workload));
            rendered = set.All.ToArray();
            cache[endpoint] = rendered;
        }

        return rendered;
    }

    /// <summary>The target labels of a Service's ClusterIP, rendered once per Service object and index.</summary>
    private byte[] ServiceLabels(ServiceRef service)
    {
        if (!_serviceLabels.TryGetValue(service, out var rendered))
        {
            var set = new LabelSet();
            set.Add("target_namespace"u8, service.Namespace);
            set.Add("target_service"u8, service.Name);
            rendered = set.All.ToArray();
            _serviceLabels[service] = rendered;
        }

        return rendered;
    }

    private static byte[] Escape(string value) => value.Length == 0 ? [] : ExpositionWriter.Escape(value);

    private sealed record EndLabelNames(byte[] Namespace, byte[] Pod, byte[] Workload);
}
