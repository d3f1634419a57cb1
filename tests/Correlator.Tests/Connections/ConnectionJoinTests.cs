using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Connections;

/// <summary>Connection series joined with endpoint metadata: pods on both ends and where the node observed them.</summary>
public sealed class ConnectionJoinTests
{
    private static NetworkEndpoint Pod(string ns, string name, string node, string workload) =>
        new(ns, name, node, WorkloadKinds.Deployment, workload, HostNetwork: false, EndpointSource.Kubernetes);

    private static CaptureEngine NewEngine() => new(new CaptureEngineOptions { MaxSeries = 100, Quality = QualityOptions.Disabled, MaxFragments = 16 });

    private static string Render(EndpointIndex? index, params DecodedPacket[] packets) => Render(index, ["veth0"], 0, packets);

    private static string Render(EndpointIndex? index, string[] interfaces, ushort captureInterface, params DecodedPacket[] packets)
    {
        var engine = NewEngine();
        foreach (var packet in packets)
        {
            engine.Pipeline.Tracker.Observe(captureInterface, packet, packet.SourcePort, packet.DestinationPort, 100, 1);
        }

        var snapshot = new ConnectionSnapshot();
        engine.Snapshot(snapshot, advanceToNanoseconds: null);
        var buffer = new ArrayBufferWriter<byte>();
        new ConnectionMetricsWriter("node-a", SeriesNaming.Prometheus).Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText), snapshot, interfaces, index);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static EndpointIndex Index()
    {
        var builder = new EndpointIndexBuilder();
        builder.AddPod(Pod("shop", "web-7d9f", "node-a", "web"), [IpAddress.Parse("10.244.1.5")]);
        builder.AddPod(Pod("shop", "db-0", "node-b", "db"), [IpAddress.Parse("10.244.2.9")]);
        builder.AddService(IpAddress.Parse("10.96.0.20"), NetworkEndpoint.ForService("shop", "db", EndpointSource.Kubernetes));
        return builder.Build();
    }

    private static string Line(string text, string contains) =>
        text.Split('\n').Single(l => l.StartsWith("network_connection_bytes_total{", StringComparison.Ordinal) && l.Contains(contains, StringComparison.Ordinal) && l.Contains("initiator_to_target", StringComparison.Ordinal));

    [Fact]
    public void A_local_initiator_is_observed_at_the_initiator_and_both_pods_are_named()
    {
        var text = Render(Index(), Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, TcpFlags.Syn));
        Assert.Equal(
            "network_connection_bytes_total{node=\"node-a\",interface=\"veth0\",protocol=\"tcp\",initiator_ip=\"10.244.1.5\",initiator_port=\"40000\"," +
            "target_ip=\"10.244.2.9\",target_port=\"5432\",direction=\"initiator_to_target\",initiator_evidence=\"syn\",observed_at=\"initiator\"," +
            "initiator_namespace=\"shop\",initiator_pod=\"web-7d9f\",initiator_workload=\"web\",target_namespace=\"shop\",target_pod=\"db-0\",target_workload=\"db\"} 100",
            Line(text, "5432"));
    }

    [Fact]
    public void A_local_target_is_observed_at_the_target_and_strangers_in_transit()
    {
        var text = Render(
            Index(),
            Packets.Tcp("10.244.2.9", 41000, "10.244.1.5", 8080, TcpFlags.Syn),
            Packets.Tcp("192.0.2.1", 42000, "192.0.2.2", 443, TcpFlags.Syn));
        Assert.Contains("observed_at=\"target\"", Line(text, "8080"), StringComparison.Ordinal);
        var transit = Line(text, "192.0.2.2");
        Assert.Contains("observed_at=\"transit\"", transit, StringComparison.Ordinal);
        Assert.DoesNotContain("_pod=", transit, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_ip_target_names_its_service()
    {
        var line = Line(Render(Index(), Packets.Tcp("10.244.1.5", 40001, "10.96.0.20", 5432, TcpFlags.Syn)), "10.96.0.20");
        Assert.Contains("target_namespace=\"shop\",target_service=\"db\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain("target_pod=", line, StringComparison.Ordinal);
    }

    [Fact]
    public void With_both_pods_on_this_node_each_pod_port_sees_its_own_side()
    {
        var builder = new EndpointIndexBuilder();
        builder.AddPod(Pod("shop", "web", "node-a", "web") with { Interface = "port-web" }, [IpAddress.Parse("10.244.1.5")]);
        builder.AddPod(Pod("shop", "db", "node-a", "db") with { Interface = "port-db" }, [IpAddress.Parse("10.244.1.6")]);
        var index = builder.Build();
        var syn = Packets.Tcp("10.244.1.5", 40000, "10.244.1.6", 5432, TcpFlags.Syn);
        Assert.Contains("observed_at=\"initiator\"", Line(Render(index, ["port-web", "port-db"], 0, syn), "5432"), StringComparison.Ordinal);
        Assert.Contains("observed_at=\"target\"", Line(Render(index, ["port-web", "port-db"], 1, syn), "5432"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_writer_names_ends_from_the_index_of_each_scrape_not_from_labels_it_rendered_before()
    {
        var engine = NewEngine();
        var packet = Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, TcpFlags.Syn);
        engine.Pipeline.Tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, 100, 1);
        var writer = new ConnectionMetricsWriter("node-a", SeriesNaming.Prometheus);
        string Scrape(EndpointIndex index)
        {
            var snapshot = new ConnectionSnapshot();
            engine.Snapshot(snapshot, advanceToNanoseconds: null);
            var buffer = new ArrayBufferWriter<byte>();
            writer.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText), snapshot, ["veth0"], index);
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        var first = Line(Scrape(Index()), "10.244.1.5");
        var moved = new EndpointIndexBuilder();
        moved.AddPod(Pod("shop", "web-new", "node-a", "web"), [IpAddress.Parse("10.244.1.5")]);
        moved.AddService(IpAddress.Parse("10.96.0.20"), NetworkEndpoint.ForService("shop", "db", EndpointSource.Kubernetes));
        var second = Line(Scrape(moved.Build()), "10.244.1.5");

        Assert.Contains("initiator_pod=\"web-7d9f\"", first, StringComparison.Ordinal);
        Assert.Contains("target_pod=\"db-0\"", first, StringComparison.Ordinal);
        Assert.Contains("initiator_pod=\"web-new\"", second, StringComparison.Ordinal);
        Assert.DoesNotContain("target_pod", second, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_metadata_no_join_labels_are_written()
    {
        var line = Line(Render(null, Packets.Tcp("10.244.1.5", 40000, "10.244.2.9", 5432, TcpFlags.Syn)), "5432");
        Assert.DoesNotContain("observed_at", line, StringComparison.Ordinal);
        Assert.DoesNotContain("namespace", line, StringComparison.Ordinal);
    }
}
