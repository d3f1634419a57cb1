using System.Text.Json;
using System.Text.RegularExpressions;
using FlowExporter.LabTests.Capture;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.CapturePoints;

/// <summary>
/// The exporter started with no interface name, only <c>discover: [ovs_pod_ports]</c>, on a real OVS bridge: a pod
/// created afterwards (namespace, veth, OVS port with Antrea-style external_ids) is captured as it appears, its
/// connection to a pod of the same node counted once (at the initiating pod's port, <c>connections.count_at: node</c>)
/// like an independent tcpdump of that port, and its point closed as it goes, quietly.
/// </summary>
[Trait("Category", "Lab")]
public sealed partial class DiscoveredPointsLabTests
{
    /// <summary>Issue 16's bound from the first packet to the connection series.</summary>
    private static readonly TimeSpan SeriesBound = TimeSpan.FromSeconds(5);

    /// <summary>Issue 16's bound from the deletion to the point's close.</summary>
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan OpenBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_pod_created_after_start_is_captured_counted_like_tcpdump_and_closed_within_2s_of_its_deletion_without_a_warning()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "tcpdump", "tshark", "curl");
        await using var lab = await OvsLab.StartAsync("fdpt");
        var server = await lab.AddPodAsync("srv", "10.99.61.2/24", Antrea("srv", "10.99.61.2"));
        var config = Path.Combine(lab.Directory, "flowexporter.yaml");
        await File.WriteAllTextAsync(config, $"""
            node: lab-node
            capture:
              discover: [ovs_pod_ports]
            connections:
              timeout: 5s
            ovs:
              mode: ovsdb
              db: {lab.DbTarget}

            """);
        await using var exporter = await LabExporter.StartAsync(lab.NodeNamespace, ["--config", config]);
        await exporter.ScrapeUntilAsync(s => IsCapturing(s, server.PortName), OpenBound, $"the existing pod's port {server.PortName} captured");

        // A new pod after the exporter is up: its port is found through OVSDB and opened on the rtnetlink picture.
        var client = await lab.AddPodAsync("cli", "10.99.61.1/24", Antrea("cli", "10.99.61.1"));
        // Both pods' ports see the connection; it is counted once, at the port that captured it first: each port's own
        // tcpdump is the truth for the series counted there.
        var pcaps = new Dictionary<string, string>
        {
            [client.PortName] = Path.Combine(lab.Directory, "truth-client.pcap"),
            [server.PortName] = Path.Combine(lab.Directory, "truth-server.pcap"),
        };
        await using var tcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", client.PortName, "-s", "128", "-B", "65536", "-n", "-U", "-w", pcaps[client.PortName]]);
        await using var serverTcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", server.PortName, "-s", "128", "-B", "65536", "-n", "-U", "-w", pcaps[server.PortName]]);
        await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        await serverTcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        var opened = await exporter.ScrapeUntilAsync(
            s => IsCapturing(s, client.PortName) && s.Named("flowexporter_source_instance_up").Any(x => x.Has(("source", "capture"), ("instance", client.PortName)) && x.Value == 1),
            OpenBound,
            $"the new pod's port {client.PortName} captured, an instance of the capture source");
        Assert.Equal(2, opened.Named("network_capture_points").Single(s => s.Label("selector") == "discover:ovs_pod_ports").Value);

        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        var run = OvsLab.ExecAsync(client.Namespace, ["iperf3", "-c", server.Ip, "-n", "20M", "-J"], TimeSpan.FromSeconds(120));
        await exporter.ScrapeUntilAsync(
            s => s.Named("network_connection_bytes_total").Any(x => x.Label("initiator_pod") == "cli" && x.Label("target_pod") == "srv" && x.Label("target_port") == "5201"),
            SeriesBound,
            "the new pod's connection series");
        using var report = JsonDocument.Parse((await run).StandardOutput);
        var sentPayload = report.RootElement.GetProperty("end").GetProperty("sum_sent").GetProperty("bytes").GetInt64();

        await exporter.ScrapeUntilQuietAsync(
            s => s.Named("network_capture_packets_total").Where(x => pcaps.ContainsKey(x.Label("interface"))).Sum(x => x.Value), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        Assert.True(await serverTcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        Assert.Matches(ZeroDroppedByKernel(), tcpdump.Output);
        Assert.Matches(ZeroDroppedByKernel(), serverTcpdump.Output);
        var truths = new Dictionary<string, IReadOnlyDictionary<(string, string), (long, long)>>();
        foreach (var (port, pcap) in pcaps)
        {
            truths[port] = await WireTruth.TcpDirectionsAsync(pcap);
        }

        var samples = await exporter.ScrapeAsync();
        Assert.Equal(0, samples.Named("network_capture_dropped_packets_total").Where(s => pcaps.ContainsKey(s.Label("interface"))).Sum(s => s.Value));

        // Counted once per node: control and data connections, both directions, each at the client's port (where its SYN
        // entered the switch, before it left at the server's).
        var connections = samples.Named("network_connection_bytes_total").Where(s => s.Label("target_port") == "5201").ToList();
        Assert.Equal(4, connections.Count);
        foreach (var sample in connections)
        {
            Assert.Equal(client.PortName, sample.Label("interface"));
            var truth = truths[sample.Label("interface")];
            Assert.Equal(client.Ip, sample.Label("initiator_ip"));
            Assert.Equal(server.Ip, sample.Label("target_ip"));
            Assert.Equal(("shop", "cli", "shop", "srv"), (sample.Label("initiator_namespace"), sample.Label("initiator_pod"), sample.Label("target_namespace"), sample.Label("target_pod")));
            var initiator = $"{client.Ip}:{sample.Label("initiator_port")}";
            var target = $"{server.Ip}:5201";
            var expected = sample.Label("direction") == "initiator_to_target" ? truth[(initiator, target)] : truth[(target, initiator)];
            var packets = samples.Named("network_connection_packets_total").Single(p => p.Labels.SequenceEqual(sample.Labels));
            Assert.True(
                expected == ((long)sample.Value, (long)packets.Value),
                $"{initiator} {sample.Label("direction")} at {sample.Label("interface")}: tcpdump {expected}, exporter ({sample.Value}, {packets.Value})");
        }

        Assert.True(connections.Max(c => c.Value) > sentPayload);

        // The pod goes (the CNI deletes its veth and its OVS port): its point is closed with one info line, its instance
        // and series leave, nothing is logged as a warning or an error, and the capture source stays up.
        var logBefore = exporter.Process.Output.Length;
        await ProcessRunner.CheckAsync("ip", ["-n", lab.NodeNamespace, "link", "del", client.PortName]);
        await lab.RemovePortAsync(client.PortName);
        await exporter.Process.WaitForOutputAsync("closed: the link is gone", CloseBound);
        var gone = await exporter.ScrapeUntilAsync(
            s => !s.Named("flowexporter_source_instance_up").Any(x => x.Label("instance") == client.PortName)
                && !s.Named("network_capture_interface_up").Any(x => x.Label("interface") == client.PortName),
            CloseBound,
            $"the deleted pod's point {client.PortName} leaving the instances");
        Assert.Contains(gone.Named("flowexporter_source_up"), s => s.Label("source") == "capture" && s.Value == 1);
        Assert.True(IsCapturing(gone, server.PortName));
        Assert.Equal(1, gone.Named("network_capture_points").Single(s => s.Label("selector") == "discover:ovs_pod_ports").Value);

        // Another scrape interval for anything late (a capture thread retrying, a warning on the gone link).
        await exporter.ScrapeUntilQuietAsync(s => s.Named("network_capture_interface_up").Count(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        var after = exporter.Process.Output[logBefore..].Split('\n');
        var closeLines = after.Where(l => l.Contains($"capture point {client.PortName} ", StringComparison.Ordinal) && l.Contains("closed", StringComparison.Ordinal)).ToList();
        var closeLine = Assert.Single(closeLines);
        Assert.Contains("closed: the link is gone", closeLine, StringComparison.Ordinal);
        Assert.Contains(" info: ", closeLine, StringComparison.Ordinal);
        Assert.DoesNotContain(after, l => l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal));
        Assert.Contains(samples.Named("flowexporter_source_up"), s => s.Label("source") == "capture" && s.Value == 1);
    }

    private static bool IsCapturing(IReadOnlyList<Sample> samples, string port) =>
        samples.Named("network_capture_interface_up").Any(s => s.Label("interface") == port && s.Value == 1);

    /// <summary>Antrea's convention on the OVS interface (the OVS source maps it to the pod; its IP too).</summary>
    private static Dictionary<string, string> Antrea(string pod, string ip) => new()
    {
        ["pod-name"] = pod,
        ["pod-namespace"] = "shop",
        ["ip"] = ip,
    };

    [GeneratedRegex("^0 packets dropped by kernel", RegexOptions.Multiline)]
    private static partial Regex ZeroDroppedByKernel();
}
