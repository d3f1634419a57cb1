using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Capture;

/// <summary>Writes the connection series and the capture and table health series of a <see cref="ConnectionSnapshot"/>.</summary>
public sealed class ConnectionMetricsWriter
{
    private static readonly MetricFamily BytesTotal = new(
        "network_connection_bytes_total",
        MetricType.Counter,
        "Bytes of a connection per direction, counted as each frame's original length on the wire (not the captured length).");

    private static readonly MetricFamily PacketsTotal = new(
        "network_connection_packets_total", MetricType.Counter, "Packets of a connection per direction.");

    private static readonly MetricFamily SkydiveBytes = new(
        "network_connection_total_bytes",
        MetricType.Gauge,
        "Bytes of a connection per direction (Skydive connector naming; the same value as network_connection_bytes_total).");

    private static readonly MetricFamily SkydivePackets = new(
        "network_connection_total_packets",
        MetricType.Gauge,
        "Packets of a connection per direction (Skydive connector naming; the same value as network_connection_packets_total).");

    private static readonly MetricFamily Active = new(
        "network_connections_active", MetricType.Gauge, "Connections in the table, by capture interface and protocol.");

    private static readonly MetricFamily Opened = new(
        "network_connections_opened_total", MetricType.Counter, "Connections that entered the table.");

    private static readonly MetricFamily Closed = new(
        "network_connections_closed_total",
        MetricType.Counter,
        "Connections that left the table, by reason: fin (FIN both ways), rst, timeout (idle), evicted (table full).");

    private static readonly MetricFamily Dropped = new(
        "network_connections_dropped_total",
        MetricType.Counter,
        "New connections not tracked because the table was full and no connection was idle long enough to evict.");

    private static readonly MetricFamily Tracked = new(
        "network_connections_tracked", MetricType.Gauge, "Connections in the table, all interfaces.");

    private static readonly MetricFamily TrackedMax = new(
        "network_connections_tracked_max", MetricType.Gauge, "The table's bound (connections.max).");

    private static readonly MetricFamily SeriesCount = new(
        "network_connection_series", MetricType.Gauge, "Connection series exported (each has a bytes and a packets sample per direction).");

    private static readonly MetricFamily SeriesMax = new(
        "network_connection_series_max", MetricType.Gauge, "The bound on exported connection series (connections.max_series).");

    private static readonly MetricFamily SeriesRejected = new(
        "network_connection_series_rejected_total",
        MetricType.Counter,
        "Connections tracked but not exported because the series bound was reached.");

    private static readonly MetricFamily SeriesRejectedBytes = new(
        "network_connection_series_rejected_bytes_total",
        MetricType.Counter,
        "Wire bytes of connections not exported because the series bound was reached (both directions).");

    private static readonly MetricFamily SeriesRejectedPackets = new(
        "network_connection_series_rejected_packets_total",
        MetricType.Counter,
        "Packets of connections not exported because the series bound was reached (both directions).");

    private static readonly MetricFamily SeriesMerged = new(
        "network_connection_series_merged_total",
        MetricType.Counter,
        "Connections counted into a series that already existed (the same label set: merged by connections.aggregation, or a tuple reused). Opened connections = series created + merged + rejected.");

    private static readonly MetricFamily CapturePackets = new(
        "network_capture_packets_total", MetricType.Counter, "Frames the capture delivered, by capture interface.");

    private static readonly MetricFamily CaptureBytes = new(
        "network_capture_bytes_total", MetricType.Counter, "Wire bytes of the frames the capture delivered, by capture interface.");

    private static readonly MetricFamily Malformed = new(
        "network_capture_malformed_packets_total",
        MetricType.Counter,
        "Frames that could not be decoded, by reason: truncated, bad_header_length, bad_version, unsupported.");

    private static readonly MetricFamily Ignored = new(
        "network_capture_ignored_packets_total",
        MetricType.Counter,
        "Well-formed frames counted in no connection, by reason: not_ip, table_full, orphan_fragment, probe.");

    private static readonly (DecodeResult Result, string Label)[] MalformedReasons =
    [
        (DecodeResult.Truncated, "truncated"),
        (DecodeResult.BadHeaderLength, "bad_header_length"),
        (DecodeResult.BadVersion, "bad_version"),
        (DecodeResult.Unsupported, "unsupported"),
    ];

    private static readonly (IgnoredReason Reason, string Label)[] IgnoredReasons =
    [
        (IgnoredReason.NotIp, "not_ip"),
        (IgnoredReason.TableFull, "table_full"),
        (IgnoredReason.OrphanFragment, "orphan_fragment"),
        (IgnoredReason.Probe, "probe"),
    ];

    private static readonly byte[][] EvidenceLabels = [.. new[] { "syn", "synack", "port", "first_packet" }.Select(ExpositionWriter.Escape)];

    private static readonly byte[][] ProtocolLabels = [.. Enumerable.Range(0, 256).Select(p => ExpositionWriter.Escape(IpProtocol.Name((byte)p)))];

    /// <summary>The <c>direction</c> label of a series' forward (initiator to target) sample, rendered once.</summary>
    internal static readonly byte[] ForwardLabel = ExpositionWriter.RenderLabel("direction"u8, "initiator_to_target");

    /// <summary>The <c>direction</c> label of a series' backward (target to initiator) sample, rendered once.</summary>
    internal static readonly byte[] BackwardLabel = ExpositionWriter.RenderLabel("direction"u8, "target_to_initiator");

    private readonly string _node;
    private readonly byte[] _nodeLabel;
    private readonly SeriesNaming _naming;
    private byte[][] _interfaceLabels = [];
    private IReadOnlyList<string>? _interfaceNames;
    private Resolved[] _resolved = [];
    private readonly LabelSet _labelSet = new();
    private readonly Dictionary<NetworkEndpoint, byte[]> _initiatorLabels = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NetworkEndpoint, byte[]> _targetLabels = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ServiceRef, byte[]> _serviceLabels = new(ReferenceEqualityComparer.Instance);
    private EndpointIndex? _labelsIndex;

    /// <summary>The families written only when quality is on, with the labels of this writer.</summary>
    private readonly QualityMetricsWriter _quality;

    public ConnectionMetricsWriter(string node, SeriesNaming naming)
    {
        _node = node;
        _nodeLabel = ExpositionWriter.Escape(node);
        _naming = naming;
        _quality = new QualityMetricsWriter(this);
    }

    /// <summary>
    /// Writes the snapshot. With an endpoint index (a metadata source is configured) each connection series gains the
    /// pods, namespaces and workloads of both ends, the target's Service, and <c>observed_at</c>.
    /// </summary>
    public void Write(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> interfaceNames, EndpointIndex? endpoints = null)
    {
        if (!ReferenceEquals(endpoints, _labelsIndex))
        {
            // A new index: its endpoints are new objects, and the old ones' labels go with the old index.
            _initiatorLabels.Clear();
            _targetLabels.Clear();
            _serviceLabels.Clear();
            _labelsIndex = endpoints;
        }

        Resolve(snapshot, endpoints, interfaceNames);
        if (!ReferenceEquals(interfaceNames, _interfaceNames))
        {
            _interfaceLabels = [.. interfaceNames.Select(ExpositionWriter.Escape)];
            _interfaceNames = interfaceNames;
        }

        var (bytesFamily, packetsFamily) = _naming == SeriesNaming.Skydive ? (SkydiveBytes, SkydivePackets) : (BytesTotal, PacketsTotal);
        WriteConnections(writer, snapshot, interfaceNames, bytesFamily, bytes: true);
        WriteConnections(writer, snapshot, interfaceNames, packetsFamily, bytes: false);
        WriteLifecycle(writer, snapshot, interfaceNames);
        WriteCapture(writer, snapshot, interfaceNames);
        if (snapshot.QualityOptions is not null)
        {
            _quality.Write(writer, snapshot, _resolved, interfaceNames, endpoints);
        }
    }

    private void WriteConnections(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> names, MetricFamily family, bool bytes)
    {
        writer.Family(family);
        var samples = snapshot.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            ref readonly var sample = ref samples[i];
            RenderLabels(_labelSet, sample.Key, _resolved[i]);
            var counters = sample.Counters;
            writer.Sample(family, default, _labelSet.Before, ForwardLabel, _labelSet.After, bytes ? counters.ForwardBytes : counters.ForwardPackets);
            writer.Sample(family, default, _labelSet.Before, BackwardLabel, _labelSet.After, bytes ? counters.BackwardBytes : counters.BackwardPackets);
        }
    }

    /// <summary>
    /// Renders the labels of a series key (node, interface, both ends, <c>observed_at</c> and metadata) into
    /// <paramref name="set"/>, with the place of a family's own label (<c>direction</c>, <c>result</c>) marked after
    /// the ends.
    /// </summary>
    internal void RenderLabels(LabelSet set, in SeriesKey key, in Resolved resolved)
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
            IdentityLabels(set, key.InitiatorIdentity, "initiator_namespace"u8, "initiator_pod"u8, "initiator_workload"u8);
            IdentityLabels(set, key.TargetIdentity, "target_namespace"u8, "target_pod"u8, "target_workload"u8);
            if (key.TargetIdentity is { Service.Length: > 0 } service)
            {
                set.AddRaw("target_service"u8, service.Service);
            }
        }
        else if (resolved.ObservedAt is { } observedAt)
        {
            set.AddRaw("observed_at"u8, observedAt);
            set.AddRendered(resolved.InitiatorLabels);
            set.AddRendered(resolved.TargetLabels);
        }
    }

    private static void IdentityLabels(LabelSet set, EndpointIdentity? identity, ReadOnlySpan<byte> namespaceLabel, ReadOnlySpan<byte> podLabel, ReadOnlySpan<byte> workloadLabel)
    {
        if (identity is null)
        {
            return;
        }

        if (identity.Namespace.Length > 0)
        {
            set.AddRaw(namespaceLabel, identity.Namespace);
        }

        if (identity.Pod.Length > 0)
        {
            set.AddRaw(podLabel, identity.Pod);
        }

        if (identity.Workload.Length > 0)
        {
            set.AddRaw(workloadLabel, identity.Workload);
        }
    }

    /// <summary>
    /// The labels of an end that metadata knows, rendered once per endpoint object and index (a scrape renders each
    /// series two or three times, and many series share their pods).
    /// </summary>
    private byte[] EndpointLabels(NetworkEndpoint endpoint, bool initiator)
    {
        var cache = initiator ? _initiatorLabels : _targetLabels;
        if (!cache.TryGetValue(endpoint, out var rendered))
        {
            var set = new LabelSet();
            if (endpoint.Namespace.Length > 0)
            {
                set.Add(initiator ? "initiator_namespace"u8 : "target_namespace"u8, endpoint.Namespace);
            }

            if (endpoint.PodName.Length > 0)
            {
                set.Add(initiator ? "initiator_pod"u8 : "target_pod"u8, endpoint.PodName);
            }

            if (endpoint.Workload.Length > 0)
            {
                set.Add(initiator ? "initiator_workload"u8 : "target_workload"u8, endpoint.Workload);
            }

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

    /// <summary>
    /// Looks both ends of every series up once per scrape (keys whose ends were named at open, at the pod and workload
    /// levels, are written from the key alone). <c>observed_at</c> says where this capture point sits on the
    /// connection: <c>initiator</c> when the initiator is local to it (both local counts as initiator), else
    /// <c>target</c> when the target is, else <c>transit</c>; summing one value over all nodes and interfaces never
    /// counts a connection twice.
    /// </summary>
    private void Resolve(ConnectionSnapshot snapshot, EndpointIndex? endpoints, IReadOnlyList<string> interfaceNames)
    {
        var samples = snapshot.Samples;
        if (_resolved.Length < samples.Length)
        {
            _resolved = new Resolved[Math.Max(samples.Length, _resolved.Length * 2)];
        }

        for (var i = 0; i < samples.Length; i++)
        {
            _resolved[i] = Resolve(samples[i].Key, endpoints, interfaceNames);
        }
    }

    /// <summary>The metadata of both ends of one series key (none when there is no index, or the key was named at open).</summary>
    internal Resolved Resolve(in SeriesKey key, EndpointIndex? endpoints, IReadOnlyList<string> interfaceNames)
    {
        if (endpoints is null || key.ObservedAt != ObservedAt.Unresolved)
        {
            return default;
        }

        var initiator = endpoints.Find(key.Initiator);
        var service = endpoints.FindService(key.Target);
        var target = service is null ? endpoints.Find(key.Target) : null;
        var captureInterface = key.Interface < interfaceNames.Count ? interfaceNames[key.Interface] : string.Empty;
        var observedAt = IsLocalTo(initiator, captureInterface) ? ObservedInitiator : IsLocalTo(target, captureInterface) ? ObservedTarget : ObservedTransit;
        var targetLabels = service?.Service is { } serviceRef ? ServiceLabels(serviceRef) : target is null ? null : EndpointLabels(target, initiator: false);
        return new Resolved(initiator is null ? null : EndpointLabels(initiator, initiator: true), targetLabels, observedAt);
    }

    /// <summary>
    /// An end is local to this capture point when it lives on this node and, where metadata knows the port it sits behind
    /// (OVS external_ids), that port is the capture interface: one node capturing on both pods' ports then sees the
    /// connection once as initiator and once as target.
    /// </summary>
    private bool IsLocalTo(NetworkEndpoint? endpoint, string captureInterface) =>
        endpoint is not null && endpoint.Node == _node && (endpoint.Interface.Length == 0 || endpoint.Interface == captureInterface);

    private static readonly byte[] ObservedInitiator = "initiator"u8.ToArray();
    private static readonly byte[] ObservedTarget = "target"u8.ToArray();
    private static readonly byte[] ObservedTransit = "transit"u8.ToArray();

    /// <summary>By <see cref="ObservedAt"/> value.</summary>
    private static readonly byte[][] ObservedAtLabels = [[], ObservedInitiator, ObservedTarget, ObservedTransit];

    /// <summary>The metadata labels of a series' ends, rendered (see <see cref="EndpointLabels"/>), and its <c>observed_at</c>.</summary>
    internal readonly record struct Resolved(byte[]? InitiatorLabels, byte[]? TargetLabels, byte[]? ObservedAt);

    private void WriteLifecycle(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> names)
    {
        writer.Family(Active);
        foreach (var l in snapshot.Lifecycle)
        {
            BeginInterfaceProtocol(writer, Active, names, l);
            writer.Value(l.Active);
        }

        writer.Family(Opened);
        foreach (var l in snapshot.Lifecycle)
        {
            BeginInterfaceProtocol(writer, Opened, names, l);
            writer.Value(l.Opened);
        }

        writer.Family(Closed);
        foreach (var l in snapshot.Lifecycle)
        {
            foreach (var (reason, value) in new[] { ("fin", l.ClosedFin), ("rst", l.ClosedRst), ("timeout", l.ClosedTimeout), ("evicted", l.ClosedEvicted) })
            {
                BeginInterfaceProtocol(writer, Closed, names, l);
                writer.Label("reason"u8, reason);
                writer.Value(value);
            }
        }

        writer.Family(Dropped);
        foreach (var l in snapshot.Lifecycle)
        {
            BeginInterfaceProtocol(writer, Dropped, names, l);
            writer.Value(l.Dropped);
        }

        WriteNodeGauge(writer, Tracked, snapshot.TrackedConnections);
        WriteNodeGauge(writer, TrackedMax, snapshot.MaxConnections);
        WriteNodeGauge(writer, SeriesCount, snapshot.SeriesCount);
        WriteNodeGauge(writer, SeriesMax, snapshot.MaxSeries);
        WriteNodeGauge(writer, SeriesRejected, snapshot.SeriesRejectedConnections);
        WriteNodeGauge(writer, SeriesRejectedBytes, snapshot.SeriesRejectedBytes);
        WriteNodeGauge(writer, SeriesRejectedPackets, snapshot.SeriesRejectedPackets);
        WriteNodeGauge(writer, SeriesMerged, snapshot.SeriesMergedConnections);
    }

    private void WriteCapture(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> names)
    {
        writer.Family(CapturePackets);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            BeginInterface(writer, CapturePackets, names, i);
            writer.Value(snapshot.Interfaces[i].Packets);
        }

        writer.Family(CaptureBytes);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            BeginInterface(writer, CaptureBytes, names, i);
            writer.Value(snapshot.Interfaces[i].Bytes);
        }

        writer.Family(Malformed);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            foreach (var (result, label) in MalformedReasons)
            {
                BeginInterface(writer, Malformed, names, i);
                writer.Label("reason"u8, label);
                writer.Value(snapshot.Interfaces[i].Malformed(result));
            }
        }

        writer.Family(Ignored);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            foreach (var (reason, label) in IgnoredReasons)
            {
                BeginInterface(writer, Ignored, names, i);
                writer.Label("reason"u8, label);
                writer.Value(snapshot.Interfaces[i].Ignored(reason));
            }
        }
    }

    internal void WriteNodeGauge(ExpositionWriter writer, MetricFamily family, long value)
    {
        writer.Family(family);
        writer.BeginSample(family);
        writer.Label("node"u8, _node);
        writer.Value(value);
    }

    private void WriteNodeGauge(ExpositionWriter writer, MetricFamily family, ulong value)
    {
        writer.Family(family);
        writer.BeginSample(family);
        writer.Label("node"u8, _node);
        writer.Value(value);
    }

    private void BeginInterfaceProtocol(ExpositionWriter writer, MetricFamily family, IReadOnlyList<string> names, LifecycleSample lifecycle)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _node);
        writer.Label("interface"u8, NameOf(names, lifecycle.Interface));
        writer.Label("protocol"u8, IpProtocol.Name(lifecycle.Protocol));
    }

    private void BeginInterface(ExpositionWriter writer, MetricFamily family, IReadOnlyList<string> names, int index)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _node);
        writer.Label("interface"u8, NameOf(names, index));
    }

    private static string NameOf(IReadOnlyList<string> names, int index) =>
        index < names.Count ? names[index] : $"if{index}";
}
