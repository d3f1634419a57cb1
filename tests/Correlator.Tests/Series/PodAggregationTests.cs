using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Series;

/// <summary>
/// The pod_pair and workload_pair levels: ends named once when a connection opens, from the endpoint index current
/// then; unknown ends keep their address; ClusterIP targets name their Service.
/// </summary>
public sealed class PodAggregationTests
{
    private const long Second = 1_000_000_000;
    private const TcpFlags Syn = TcpFlags.Syn;

    private EndpointIndex? _index = Index();

    private static NetworkEndpoint Pod(string ns, string name, string node, string workload) =>
        new(ns, name, node, WorkloadKinds.Deployment, workload, HostNetwork: false, EndpointSource.Kubernetes);

    private static EndpointIndex Index(bool withWeb2 = true)
    {
        var builder = new EndpointIndexBuilder();
        builder.AddPod(Pod("shop", "web-1", "node-a", "web"), [IpAddress.Parse("10.244.1.5"), IpAddress.Parse("fd00::1:5")]);
        if (withWeb2)
        {
            builder.AddPod(Pod("shop", "web-2", "node-b", "web"), [IpAddress.Parse("10.244.2.5")]);
        }

        builder.AddPod(Pod("shop", "db-0", "node-b", "db"), [IpAddress.Parse("10.244.2.9")]);
        builder.AddService(IpAddress.Parse("10.96.0.20"), NetworkEndpoint.ForService("shop", "db", EndpointSource.Kubernetes));
        return builder.Build();
    }

    private (ConnectionTracker Tracker, ConnectionSeriesStore Series, SeriesKeyFactory Keys) Create(AggregationLevel level, int maxSeries = 100)
    {
        var series = new ConnectionSeriesStore(maxSeries);
        var keys = new SeriesKeyFactory("node-a", () => _index);
        keys.NameInterface(0, "eth0");
        var tracker = new ConnectionTracker(new ConnectionTrackerOptions(), new ConnectionSeries(series, keys, level));
        return (tracker, series, keys);
    }

    private static void Observe(ConnectionTracker tracker, DecodedPacket packet, int bytes, long at) =>
        Assert.True(tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, bytes, at));

    private static string Render(ConnectionTracker tracker, ConnectionSeriesStore series, EndpointIndex? index)
    {
        var pipeline = new CapturePipeline(new FrameDecoder(DecoderOptions.Default), tracker, new FragmentTracker(16, TimeSpan.FromSeconds(30)));
        var snapshot = new ConnectionSnapshot();
        snapshot.Capture(pipeline, series, null);
        var buffer = new ArrayBufferWriter<byte>();
        new ConnectionMetricsWriter("node-a", SeriesNaming.Prometheus).Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText), snapshot, ["eth0"], index);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] BytesLines(string text, string direction = "initiator_to_target") =>
        [.. text.Split('\n').Where(l => l.StartsWith("network_connection_bytes_total{", StringComparison.Ordinal) && l.Contains(direction, StringComparison.Ordinal))];

    [Fact]
    public void Pod_pair_merges_the_connections_of_two_pods_over_both_address_families_and_drops_their_addresses()
    {
        var (tracker, series, _) = Create(AggregationLevel.PodPair);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40001, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("fd00::1:5", 40002, "10.244.2.9", 5432, Syn), 94, Second);

        var line = Assert.Single(BytesLines(Render(tracker, series, _index)));
        Assert.Equal(
            "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",target_port=\"5432\",direction=\"initiator_to_target\"," +
            "initiator_evidence=\"syn\",observed_at=\"initiator\",initiator_namespace=\"shop\",initiator_pod=\"web-1\",initiator_workload=\"web\"," +
            "target_namespace=\"shop\",target_pod=\"db-0\",target_workload=\"db\"} 242",
            line);
        Assert.Equal(2, series.MergedConnections);
        Assert.Equal(3, tracker.Count);
    }

    [Fact]
    public void Workload_pair_merges_the_pods_of_one_workload_but_not_their_observation_points()
    {
        var (tracker, series, _) = Create(AggregationLevel.WorkloadPair);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.244.2.5", 40000, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.244.2.5", 40001, "10.244.2.9", 5432, Syn), 74, Second);

        var lines = BytesLines(Render(tracker, series, _index));
        Assert.Equal(
            [
                "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",target_port=\"5432\",direction=\"initiator_to_target\"," +
                "initiator_evidence=\"syn\",observed_at=\"initiator\",initiator_namespace=\"shop\",initiator_workload=\"web\"," +
                "target_namespace=\"shop\",target_workload=\"db\"} 74",
                "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",target_port=\"5432\",direction=\"initiator_to_target\"," +
                "initiator_evidence=\"syn\",observed_at=\"transit\",initiator_namespace=\"shop\",initiator_workload=\"web\"," +
                "target_namespace=\"shop\",target_workload=\"db\"} 148",
            ],
            lines);
    }

    [Fact]
    public void A_pod_that_goes_away_keeps_its_labels_until_its_connection_has_ended_and_been_scraped()
    {
        var (tracker, series, keys) = Create(AggregationLevel.PodPair);
        Observe(tracker, Packets.Tcp("10.244.2.5", 40000, "10.244.2.9", 5432, Syn), 74, Second);
        _index = Index(withWeb2: false);

        // Still live after the pod left the index: same series, same labels, growing.
        Observe(tracker, Packets.Tcp("10.244.2.5", 40000, "10.244.2.9", 5432, TcpFlags.Ack), 66, 2 * Second);
        var line = Assert.Single(BytesLines(Render(tracker, series, _index)));
        Assert.Contains("initiator_pod=\"web-2\"", line, StringComparison.Ordinal);
        Assert.EndsWith("} 140", line, StringComparison.Ordinal);
        Assert.DoesNotContain("initiator_ip", line, StringComparison.Ordinal);

        // A new connection from the same address after the pod is gone is an unknown host: its address is the label.
        Observe(tracker, Packets.Tcp("10.244.2.5", 40001, "10.244.2.9", 5432, Syn), 74, 3 * Second);
        var lines = BytesLines(Render(tracker, series, _index));
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.Contains("initiator_ip=\"10.244.2.5\"", StringComparison.Ordinal) && !l.Contains("initiator_pod", StringComparison.Ordinal));

        // Both connections end (timeout); one more scrape shows the final values, then the series and identities go.
        tracker.Advance(200 * Second);
        Assert.Equal(0, tracker.Count);
        Assert.Equal(2, BytesLines(Render(tracker, series, _index)).Length);
        Assert.Empty(BytesLines(Render(tracker, series, _index)));
        Assert.Equal(0, keys.InternedIdentities);
    }

    [Fact]
    public void An_unknown_end_falls_back_to_its_address()
    {
        var (tracker, series, _) = Create(AggregationLevel.PodPair);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "192.0.2.7", 443, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("192.0.2.8", 40000, "10.244.2.9", 5432, Syn), 74, Second);

        var lines = BytesLines(Render(tracker, series, _index));
        Assert.Equal(
            [
                "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",target_ip=\"192.0.2.7\",target_port=\"443\"," +
                "direction=\"initiator_to_target\",initiator_evidence=\"syn\",observed_at=\"initiator\",initiator_namespace=\"shop\",initiator_pod=\"web-1\"," +
                "initiator_workload=\"web\"} 74",
                "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",initiator_ip=\"192.0.2.8\",target_port=\"5432\"," +
                "direction=\"initiator_to_target\",initiator_evidence=\"syn\",observed_at=\"transit\",target_namespace=\"shop\",target_pod=\"db-0\"," +
                "target_workload=\"db\"} 74",
            ],
            lines);
    }

    [Fact]
    public void A_cluster_ip_target_is_its_service()
    {
        var (tracker, series, _) = Create(AggregationLevel.PodPair);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "10.96.0.20", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.96.0.20", 5432, "10.244.1.5", 40000, TcpFlags.Syn | TcpFlags.Ack), 74, Second);

        var text = Render(tracker, series, _index);
        Assert.Equal(
            "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",target_port=\"5432\",direction=\"target_to_initiator\"," +
            "initiator_evidence=\"syn\",observed_at=\"initiator\",initiator_namespace=\"shop\",initiator_pod=\"web-1\",initiator_workload=\"web\"," +
            "target_namespace=\"shop\",target_service=\"db\"} 74",
            Assert.Single(BytesLines(text, "target_to_initiator")));
    }

    [Fact]
    public void Without_metadata_the_pod_levels_keep_addresses_like_the_endpoint_level()
    {
        _index = null;
        var (tracker, series, _) = Create(AggregationLevel.PodPair);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40001, "10.244.2.9", 5432, Syn), 74, Second);
        Assert.Equal(
            "network_connection_bytes_total{node=\"node-a\",interface=\"eth0\",protocol=\"tcp\",initiator_ip=\"10.244.1.5\",target_ip=\"10.244.2.9\"," +
            "target_port=\"5432\",direction=\"initiator_to_target\",initiator_evidence=\"syn\"} 148",
            Assert.Single(BytesLines(Render(tracker, series, null))));
    }

    [Fact]
    public void The_endpoint_index_is_consulted_only_when_a_connection_opens()
    {
        var lookups = 0;
        var series = new ConnectionSeriesStore(100);
        var keys = new SeriesKeyFactory("node-a", () =>
        {
            lookups++;
            return _index;
        });
        var tracker = new ConnectionTracker(new ConnectionTrackerOptions(), new ConnectionSeries(series, keys, AggregationLevel.PodPair));
        for (var i = 0; i < 10; i++)
        {
            Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, i == 0 ? Syn : TcpFlags.Ack), 66, Second);
        }

        Assert.Equal(1, lookups);
    }

    [Fact]
    public void Rejected_and_merged_connections_give_back_their_identities()
    {
        var (tracker, series, keys) = Create(AggregationLevel.PodPair, maxSeries: 1);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.244.1.5", 40001, "10.244.2.9", 5432, Syn), 74, Second);
        Observe(tracker, Packets.Tcp("10.244.2.5", 40000, "10.244.2.9", 5432, Syn), 60, Second);
        Observe(tracker, Packets.Tcp("10.244.2.5", 40000, "10.244.2.9", 5432, TcpFlags.Ack), 50, Second);

        Assert.Equal(2, keys.InternedIdentities);
        Assert.Equal(1, series.CreatedSeries);
        Assert.Equal(1, series.MergedConnections);
        Assert.Equal(1, series.RejectedConnections);
        tracker.FlushCounters();
        Assert.Equal(110UL, series.UnexportedBytes);
        Assert.Equal(2UL, series.UnexportedPackets);
    }
}
