using System.Text.Json;
using System.Text.RegularExpressions;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Capture;

/// <summary>
/// Two pods on one real OVS bridge, captured at both pods' ports by the real exporter: each connection between them is
/// seen at both points. By default (<c>connections.count_at: node</c>) it is counted once, at one of the two ports, with
/// the bytes an independent tcpdump of a pod port saw, and the other port's copy is in the duplicate family; with
/// <c>every_point</c> each port has its own series of it.
/// </summary>
[Trait("Category", "Lab")]
public sealed class CountAtLabTests
{
    [Theory]
    [InlineData("node")]
    [InlineData("every_point")]
    public async Task A_connection_between_two_captured_pods_is_counted_once_per_node_or_at_each_port(string countAt)
    {
        LabPrerequisites.RequireOvsLab("iperf3", "tcpdump", "tshark", "curl");
        await using var lab = await OvsLab.StartAsync(countAt == "node" ? "fonce" : "fevery");
        var client = await lab.AddPodAsync("cli", "10.99.3.1/24");
        var server = await lab.AddPodAsync("srv", "10.99.3.2/24");
        var pcap = Path.Combine(lab.Directory, "truth.pcap");

        await using var tcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", client.PortName, "-s", "128", "-B", "65536", "-n", "-U", "-w", pcap]);
        await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        await using var exporter = await LabExporter.StartAsync(
            lab.NodeNamespace,
            ["--interface", client.PortName, "--interface", server.PortName, "--node", "lab-node"],
            environment: new Dictionary<string, string> { ["FLOWEXPORTER_CONNECTIONS__COUNT_AT"] = countAt });

        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        var run = await OvsLab.ExecAsync(client.Namespace, ["iperf3", "-c", server.Ip, "-n", "10M", "-J"], TimeSpan.FromSeconds(120));
        using var report = JsonDocument.Parse(run.StandardOutput);
        Assert.True(report.RootElement.GetProperty("end").GetProperty("sum_sent").GetProperty("bytes").GetInt64() >= 10L * 1024 * 1024);

        await exporter.ScrapeUntilQuietAsync(s => s.Named("network_capture_packets_total").Sum(x => x.Value), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        Assert.Matches(new Regex("^0 packets dropped by kernel", RegexOptions.Multiline), tcpdump.Output);
        var truth = await WireTruth.TcpDirectionsAsync(pcap);
        var samples = await exporter.ScrapeAsync();
        Assert.Equal(0, samples.Named("network_capture_dropped_packets_total").Sum(s => s.Value));

        var iperf = samples.Named("network_connection_bytes_total").Where(s => s.Label("target_port") == "5201").ToList();
        var duplicates = samples.Named("network_capture_point_duplicate_bytes_total").ToDictionary(s => s.Label("interface"), s => s.Value);
        Assert.Equal([client.PortName, server.PortName], duplicates.Keys.Order(StringComparer.Ordinal));

        // iperf3 opens two connections (control and data); each has two directions, per counting point.
        var points = countAt == "node" ? 1 : 2;
        Assert.Equal(4 * points, iperf.Count);
        foreach (var connection in iperf.GroupBy(s => s.Label("initiator_port")))
        {
            Assert.Equal(2 * points, connection.Count());
            Assert.Equal(points, connection.Select(s => s.Label("interface")).Distinct().Count());
            foreach (var sample in connection)
            {
                var initiator = $"{client.Ip}:{sample.Label("initiator_port")}";
                var target = $"{server.Ip}:5201";
                var expected = sample.Label("direction") == "initiator_to_target" ? truth[(initiator, target)].Bytes : truth[(target, initiator)].Bytes;
                Assert.True(expected == (long)sample.Value, $"{initiator} {sample.Label("direction")} at {sample.Label("interface")}: tcpdump {expected}, exporter {sample.Value}");
            }
        }

        var counted = samples.Named("network_connection_bytes_total").Sum(s => s.Value);
        if (countAt == "node")
        {
            // Every connection frame crossed both ports: what one port counted, the other saw again as a duplicate.
            Assert.Equal(counted, duplicates.Values.Sum());
            Assert.Equal(truth.Values.Sum(t => t.Bytes), (long)iperf.Sum(s => s.Value));
        }
        else
        {
            Assert.All(duplicates.Values, d => Assert.Equal(0, d));
            Assert.Equal(2 * truth.Values.Sum(t => t.Bytes), (long)iperf.Sum(s => s.Value));
        }
    }
}
