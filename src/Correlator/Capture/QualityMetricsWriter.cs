using System.Globalization;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// Writes the connection quality families of a snapshot: the handshake RTT gauge of each connection series (at the
/// connection level), and per quality series the handshake histogram, attempts by result, retransmitted, zero-window
/// and reset counts. Quality series carry the labels of connection series (less direction), at quality.aggregation.
/// As a client library's labelled children, a sample appears with its first event: a pair's histogram with its first
/// handshake, an attempts result, retransmitted, zero-window or reset direction with its first count. Healthy pairs
/// then cost their histogram and one attempts sample, not every zero (a third of the render).
/// </summary>
internal sealed class QualityMetricsWriter
{
    private static readonly MetricFamily HandshakeRtt = new(
        "network_connection_handshake_rtt_seconds",
        MetricType.Gauge,
        "Handshake RTT of the connection (the latest on the series): its initiator's SYN to the initiator's ACK completing the handshake, at the capture point (tshark's tcp.analysis.initial_rtt). Connection level only.");

    private static readonly MetricFamily Handshake = new(
        "network_connection_handshake_seconds",
        MetricType.Histogram,
        "Handshake RTTs (SYN to the completing ACK, at the capture point) of the connections of the series, at quality.aggregation.");

    private static readonly MetricFamily Attempts = new(
        "network_connection_attempts_total",
        MetricType.Counter,
        "Connection attempts by result: established (handshake completed; UDP: answered), refused (RST answering the SYN), timeout (SYN unanswered for quality.syn_timeout), unreachable (ICMP destination unreachable quoting the attempt).");

    private static readonly MetricFamily Retransmitted = new(
        "network_connection_retransmitted_packets_total",
        MetricType.Counter,
        "TCP segments carrying sequence space already seen in their direction (tshark's tcp.analysis.retransmission: plain, fast and spurious; SYNs included).");

    private static readonly MetricFamily ZeroWindow = new(
        "network_connection_zero_window_packets_total",
        MetricType.Counter,
        "TCP segments advertising a zero receive window, by the direction they travel in (tshark's tcp.analysis.zero_window).");

    private static readonly MetricFamily Resets = new(
        "network_connection_resets_total",
        MetricType.Counter,
        "TCP connections ended by an RST (refused attempts excepted), by who sent it: direction initiator_to_target means the initiator reset.");

    private static readonly MetricFamily QualitySeries = new(
        "network_connection_quality_series", MetricType.Gauge, "Connection quality series kept (quality.aggregation).");

    private static readonly MetricFamily QualitySeriesMax = new(
        "network_connection_quality_series_max", MetricType.Gauge, "The bound on connection quality series (quality.max_series).");

    private static readonly MetricFamily QualitySeriesRejected = new(
        "network_connection_quality_series_rejected_total",
        MetricType.Counter,
        "Connections counted in no quality series because the bound was reached.");

    private static readonly byte[][] ResultLabels = [.. new[] { "established", "refused", "timeout", "unreachable" }.Select(r => ExpositionWriter.RenderLabel("result"u8, r))];

    private static readonly byte[][] BucketLabels = BuildBucketLabels();

    private readonly SeriesLabels _labels;
    private ResolvedEnds[] _resolved = [];
    private readonly LabelSet _labelSet = new();

    /// <param name="labels">The label schema, begun for this scrape by the connection writer.</param>
    public QualityMetricsWriter(SeriesLabels labels)
    {
        _labels = labels;
    }

    /// <param name="connectionResolved">The metadata resolved for the snapshot's connection series, in their order.</param>
    public void Write(ExpositionWriter writer, ConnectionSnapshot snapshot, ReadOnlySpan<ResolvedEnds> connectionResolved)
    {
        WriteHandshakeGauge(writer, snapshot, connectionResolved);
        var quality = snapshot.Quality;
        if (_resolved.Length < quality.Length)
        {
            _resolved = new ResolvedEnds[Math.Max(quality.Length, _resolved.Length * 2)];
        }

        for (var i = 0; i < quality.Length; i++)
        {
            _resolved[i] = _labels.Resolve(quality[i].Key);
        }

        WriteHistogram(writer, quality);
        writer.Family(Attempts);
        for (var i = 0; i < quality.Length; i++)
        {
            ref readonly var sample = ref quality[i];
            var rendered = false;
            for (var result = 0; result < ResultLabels.Length; result++)
            {
                var count = sample.Count(QualityCellCounts.FirstAttempt + result);
                if (count != 0)
                {
                    if (!rendered)
                    {
                        _labels.Render(_labelSet, sample.Key, _resolved[i]);
                        rendered = true;
                    }

                    writer.Sample(Attempts, default, _labelSet.Before, ResultLabels[result], _labelSet.After, count);
                }
            }
        }

        WritePerDirection(writer, Retransmitted, quality, QualityCellCounts.RetransmittedForward, QualityCellCounts.RetransmittedBackward);
        WritePerDirection(writer, ZeroWindow, quality, QualityCellCounts.ZeroWindowForward, QualityCellCounts.ZeroWindowBackward);
        WritePerDirection(writer, Resets, quality, QualityCellCounts.ResetsForward, QualityCellCounts.ResetsBackward);
        NodeGauge.Write(writer, QualitySeries, _labels.Node, snapshot.QualitySeriesCount);
        NodeGauge.Write(writer, QualitySeriesMax, _labels.Node, snapshot.MaxQualitySeries);
        NodeGauge.Write(writer, QualitySeriesRejected, _labels.Node, snapshot.QualityRejectedConnections);
    }

    private void WriteHandshakeGauge(ExpositionWriter writer, ConnectionSnapshot snapshot, ReadOnlySpan<ResolvedEnds> resolved)
    {
        writer.Family(HandshakeRtt);
        var samples = snapshot.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            ref readonly var sample = ref samples[i];
            if (sample.Counters.HandshakeRttNanoseconds != 0 && sample.Key.HasInitiatorPort)
            {
                _labels.Render(_labelSet, sample.Key, resolved[i]);
                writer.Sample(HandshakeRtt, default, _labelSet.All, default, default, sample.Counters.HandshakeRttNanoseconds / 1e9);
            }
        }
    }

    private void WriteHistogram(ExpositionWriter writer, ReadOnlySpan<QualitySample> quality)
    {
        Span<ulong> cumulativeCounts = stackalloc ulong[HandshakeBuckets.Count];
        writer.Family(Handshake);
        for (var i = 0; i < quality.Length; i++)
        {
            ref readonly var sample = ref quality[i];
            if (sample.Key.Protocol != IpProtocol.Tcp)
            {
                continue;
            }

            ulong cumulative = 0;
            for (var bucket = 0; bucket < HandshakeBuckets.Count; bucket++)
            {
                cumulative += sample.Count(QualityCellCounts.FirstBucket + bucket);
                cumulativeCounts[bucket] = cumulative;
            }

            // The +Inf bucket's cumulative count is the handshake count.
            if (cumulative == 0)
            {
                continue;
            }

            _labels.Render(_labelSet, sample.Key, _resolved[i]);
            writer.Histogram(Handshake, _labelSet.All, BucketLabels, cumulativeCounts, sample.HandshakeSumNanoseconds / 1e9, cumulative);
        }
    }

    private void WritePerDirection(ExpositionWriter writer, MetricFamily family, ReadOnlySpan<QualitySample> quality, int forwardCell, int backwardCell)
    {
        writer.Family(family);
        for (var i = 0; i < quality.Length; i++)
        {
            ref readonly var sample = ref quality[i];
            var (forward, backward) = (sample.Count(forwardCell), sample.Count(backwardCell));
            if ((forward | backward) == 0)
            {
                continue;
            }

            _labels.Render(_labelSet, sample.Key, _resolved[i]);
            WriteDirection(writer, family, ConnectionMetricsWriter.ForwardLabel, forward);
            WriteDirection(writer, family, ConnectionMetricsWriter.BackwardLabel, backward);
        }
    }

    private void WriteDirection(ExpositionWriter writer, MetricFamily family, ReadOnlySpan<byte> direction, ulong value)
    {
        if (value != 0)
        {
            writer.Sample(family, default, _labelSet.Before, direction, _labelSet.After, value);
        }
    }

    private static byte[][] BuildBucketLabels()
    {
        var labels = new byte[HandshakeBuckets.Count][];
        var bounds = HandshakeBuckets.UpperBoundsNanoseconds;
        for (var i = 0; i < bounds.Length; i++)
        {
            labels[i] = ExpositionWriter.RenderLabel("le"u8, (bounds[i] / 1e9).ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant());
        }

        labels[^1] = ExpositionWriter.RenderLabel("le"u8, "+Inf");
        return labels;
    }
}
