using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// Writes a <see cref="ConnectionSnapshot"/>: the connection series (labels from the one schema, <see cref="SeriesLabels"/>),
/// the capture and table health (<see cref="CaptureHealthWriter"/>) and, when on, quality (<see cref="QualityMetricsWriter"/>).
/// </summary>
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

    /// <summary>The <c>direction</c> label of a series' forward (initiator to target) sample, rendered once.</summary>
    internal static readonly byte[] ForwardLabel = ExpositionWriter.RenderLabel("direction"u8, "initiator_to_target");

    /// <summary>The <c>direction</c> label of a series' backward (target to initiator) sample, rendered once.</summary>
    internal static readonly byte[] BackwardLabel = ExpositionWriter.RenderLabel("direction"u8, "target_to_initiator");

    private readonly SeriesNaming _naming;
    private readonly SeriesLabels _labels;
    private readonly LabelSet _labelSet = new();
    private readonly CaptureHealthWriter _health;
    private ResolvedEnds[] _resolved = [];

    /// <summary>The families written only when quality is on, with the labels of this writer.</summary>
    private readonly QualityMetricsWriter _quality;

    public ConnectionMetricsWriter(string node, SeriesNaming naming)
    {
        _naming = naming;
        _labels = new SeriesLabels(node);
        _health = new CaptureHealthWriter(node);
        _quality = new QualityMetricsWriter(_labels);
    }

    /// <summary>
    /// Writes the snapshot. With an endpoint index (a metadata source is configured) each connection series gains the
    /// pods, namespaces and workloads of both ends, the target's Service, and <c>observed_at</c>.
    /// </summary>
    public void Write(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> interfaceNames, EndpointIndex? endpoints = null)
    {
        _labels.Begin(endpoints, interfaceNames);
        var samples = snapshot.Samples;
        if (_resolved.Length < samples.Length)
        {
            _resolved = new ResolvedEnds[Math.Max(samples.Length, _resolved.Length * 2)];
        }

        for (var i = 0; i < samples.Length; i++)
        {
            _resolved[i] = _labels.Resolve(samples[i].Key);
        }

        var (bytesFamily, packetsFamily) = _naming == SeriesNaming.Skydive ? (SkydiveBytes, SkydivePackets) : (BytesTotal, PacketsTotal);
        WriteConnections(writer, snapshot, bytesFamily, bytes: true);
        WriteConnections(writer, snapshot, packetsFamily, bytes: false);
        _health.Write(writer, snapshot, interfaceNames);
        if (snapshot.QualityOptions is not null)
        {
            _quality.Write(writer, snapshot, _resolved);
        }
    }

    private void WriteConnections(ExpositionWriter writer, ConnectionSnapshot snapshot, MetricFamily family, bool bytes)
    {
        writer.Family(family);
        var samples = snapshot.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            ref readonly var sample = ref samples[i];
            _labels.Render(_labelSet, sample.Key, _resolved[i]);
            var counters = sample.Counters;
            writer.Sample(family, default, _labelSet.Before, ForwardLabel, _labelSet.After, bytes ? counters.ForwardBytes : counters.ForwardPackets);
            writer.Sample(family, default, _labelSet.Before, BackwardLabel, _labelSet.After, bytes ? counters.BackwardBytes : counters.BackwardPackets);
        }
    }
}
