using FlowExporter.Correlator.Exposition;
using FlowExporter.Sources;

namespace FlowExporter.Probes;

/// <summary>
/// The probes' results as scrapes see them: written by the probe loop, read by <c>/metrics</c> (which never probes).
/// Bounded: a target leaves once it has been out of the peer list for the retention, and the table holds at most
/// <c>max</c> targets (the longest-gone leave first).
/// </summary>
public sealed class ProbeResults : IMetricsContributor
{
    /// <summary>Upper bounds in seconds: 0.5 ms doubling to about 8 s, for a LAN round trip up to a struggling peer.</summary>
    public static readonly double[] Buckets = [.. Enumerable.Range(0, 15).Select(i => 0.0005 * Math.Pow(2, i))];

    private static readonly MetricFamily Duration = new(
        "network_probe_duration_seconds", MetricType.Histogram,
        "Duration of successful probes of another exporter's health endpoint (resolution, TCP connect and HTTP exchange), by target node and path (pod or host network).");

    private static readonly MetricFamily Errors = new(
        "network_probe_errors_total", MetricType.Counter,
        "Failed probes of another exporter's health endpoint, by target node, path and type: dns, connect, timeout, http.");

    private static readonly MetricFamily Targets = new(
        "flowexporter_probe_targets", MetricType.Gauge, "Peer paths (peer and pod or host network) the probes currently cover.");

    private static readonly MetricFamily Skipped = new(
        "flowexporter_probe_skipped_total", MetricType.Counter, "Targets left for a later round because a round's budget (max_targets_per_round) was spent.");

    private static readonly MetricFamily PeersDropped = new(
        "flowexporter_probe_peers_dropped_total", MetricType.Counter, "Peers not probed because the peer list was longer than max_peers.");

    private static readonly string[] BucketLabels = [.. Buckets.Select(b => b.ToString("R", System.Globalization.CultureInfo.InvariantCulture)), "+Inf"];
    private static readonly string[] TypeLabels = ["dns", "connect", "timeout", "http"];
    private static readonly string[] PathLabels = ["pod", "host"];

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Node, ProbePath Path), ProbeSeries> _series = [];
    private readonly string _node;
    private readonly TimeSpan _retention;
    private readonly int _max;
    private int _targets;
    private long _skipped;
    private long _peersDropped;

    public ProbeResults(string node, TimeSpan retention, int maxTargets)
    {
        _node = node;
        _retention = retention;
        _max = maxTargets;
    }

    public int SeriesCount
    {
        get
        {
            lock (_gate)
            {
                return _series.Count;
            }
        }
    }

    /// <summary>Marks the current targets as wanted, drops those gone longer than the retention, and counts what the budget left out.</summary>
    public void Track(IReadOnlyList<ProbeTarget> targets, DateTimeOffset now, int skipped, int peersDropped)
    {
        lock (_gate)
        {
            foreach (var target in targets)
            {
                if (_series.TryGetValue((target.Node, target.Path), out var series))
                {
                    series.LastWanted = now;
                }
                else
                {
                    _series[(target.Node, target.Path)] = new ProbeSeries(target.Node, target.Path, Buckets.Length + 1, now);
                }
            }

            foreach (var gone in _series.Where(s => now - s.Value.LastWanted > _retention).Select(s => s.Key).ToList())
            {
                _series.Remove(gone);
            }

            if (_series.Count > _max)
            {
                foreach (var oldest in _series.OrderBy(s => s.Value.LastWanted).Take(_series.Count - _max).Select(s => s.Key).ToList())
                {
                    _series.Remove(oldest);
                }
            }

            _targets = targets.Count;
            _skipped += skipped;
            _peersDropped += peersDropped;
        }
    }

    public void Record(ProbeTarget target, ProbeOutcome outcome)
    {
        lock (_gate)
        {
            if (!_series.TryGetValue((target.Node, target.Path), out var series))
            {
                return;
            }

            if (outcome.Error is { } error)
            {
                series.Errors[(int)error]++;
                return;
            }

            var seconds = outcome.Duration.TotalSeconds;
            var bucket = 0;
            while (bucket < Buckets.Length && seconds > Buckets[bucket])
            {
                bucket++;
            }

            series.BucketCounts[bucket]++;
            series.Count++;
            series.Sum += seconds;
        }
    }

    public void Write(ExpositionWriter writer)
    {
        ProbeSeries[] series;
        int targets;
        long skipped;
        long dropped;
        lock (_gate)
        {
            series = [.. _series.Values.OrderBy(s => s.Node, StringComparer.Ordinal).ThenBy(s => s.Path).Select(s => s.Copy())];
            targets = _targets;
            skipped = _skipped;
            dropped = _peersDropped;
        }

        writer.Family(Duration);
        foreach (var s in series)
        {
            long cumulative = 0;
            for (var i = 0; i < BucketLabels.Length; i++)
            {
                cumulative += s.BucketCounts[i];
                writer.BeginSample(Duration, "_bucket"u8);
                WriteLabels(writer, s);
                writer.Label("le"u8, BucketLabels[i]);
                writer.Value(cumulative);
            }

            writer.BeginSample(Duration, "_sum"u8);
            WriteLabels(writer, s);
            writer.Value(s.Sum);
            writer.BeginSample(Duration, "_count"u8);
            WriteLabels(writer, s);
            writer.Value(s.Count);
        }

        writer.Family(Errors);
        foreach (var s in series)
        {
            for (var type = 0; type < TypeLabels.Length; type++)
            {
                writer.BeginSample(Errors);
                WriteLabels(writer, s);
                writer.Label("type"u8, TypeLabels[type]);
                writer.Value(s.Errors[type]);
            }
        }

        writer.Family(Targets);
        writer.BeginSample(Targets);
        writer.Value((long)targets);
        writer.Family(Skipped);
        writer.BeginSample(Skipped);
        writer.Value(skipped);
        writer.Family(PeersDropped);
        writer.BeginSample(PeersDropped);
        writer.Value(dropped);
    }

    private void WriteLabels(ExpositionWriter writer, ProbeSeries series)
    {
        writer.Label("node"u8, _node);
        writer.Label("target_node"u8, series.Node);
        writer.Label("path"u8, PathLabels[(int)series.Path]);
    }
}
