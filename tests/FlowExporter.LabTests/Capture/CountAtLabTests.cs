using System.Text.Json;
using System.Text.RegularExpressions;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Capture;

/// <summary>
/// Two pods on one real OVS bridge, captured at both pods' ports by the real exporter: each connection between them is
/// seen at both points. By default (<c>connections.count_at: node</c>) it is counted once, at the port that captured its
/// first packet earliest, the initiating pod's (its SYN enters the node's switch there before it leaves at the other
/// pod's port), with the bytes an independent tcpdump of that port saw, and the other port's copy is in the duplicate
/// family; with <c>every_point</c> each port has its own series of it.
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

        // An independent capture of each port: the two ports need not see the same frames (the bridge may merge or split
        // segments on the way), so each series is compared with the port it was counted at.
        var ports = new[] { client.PortName, server.PortName };
        await using var clientDump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", Tcpdump(lab, client.PortName));
        await using var serverDump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", Tcpdump(lab, server.PortName));
        var tcpdumps = new[] { clientDump, serverDump };
        foreach (var tcpdump in tcpdumps)
        {
            await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        }

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
        var truth = new Dictionary<string, Dictionary<(string From, string To), (long Bytes, long Frames)>>();
        for (var i = 0; i < ports.Length; i++)
        {
            var tcpdump = tcpdumps[i];
            Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
            Assert.Matches(new Regex("^0 packets dropped by kernel", RegexOptions.Multiline), tcpdump.Output);
            truth[ports[i]] = await WireTruth.TcpDirectionsAsync(Path.Combine(lab.Directory, ports[i] + ".pcap"));
        }

        var samples = await exporter.ScrapeAsync();
        Assert.Equal(0, samples.Named("network_capture_dropped_packets_total").Sum(s => s.Value));

        var iperf = samples.Named("network_connection_bytes_total").Where(s => s.Label("target_port") == "5201").ToList();
        var duplicates = samples.Named("network_capture_point_duplicate_bytes_total").ToDictionary(s => s.Label("interface"), s => (long)s.Value);
        Assert.Equal(ports.Order(StringComparer.Ordinal), duplicates.Keys.Order(StringComparer.Ordinal));

        // iperf3 opens two connections (control and data); each has two directions, per counting point.
        var points = countAt == "node" ? 1 : 2;
        Assert.Equal(4 * points, iperf.Count);
        var expectedDuplicates = ports.ToDictionary(p => p, _ => 0L);
        foreach (var connection in iperf.GroupBy(s => s.Label("initiator_port")))
        {
            Assert.Equal(2 * points, connection.Count());
            Assert.Equal(points, connection.Select(s => s.Label("interface")).Distinct().Count());
            if (countAt == "node")
            {
                // Whichever port's capture thread delivered first: counted where the client's SYN entered the switch.
                Assert.All(connection, s => Assert.Equal(client.PortName, s.Label("interface")));
            }

            var initiator = $"{client.Ip}:{connection.Key}";
            var target = $"{server.Ip}:5201";
            foreach (var sample in connection)
            {
                var seen = truth[sample.Label("interface")];
                var expected = sample.Label("direction") == "initiator_to_target" ? seen[(initiator, target)].Bytes : seen[(target, initiator)].Bytes;
                Assert.True(expected == (long)sample.Value, $"{initiator} {sample.Label("direction")} at {sample.Label("interface")}: tcpdump {expected}, exporter {sample.Value}");
            }

            // Counted once per node: the other port saw the connection again, as duplicates.
            foreach (var other in ports.Except(connection.Select(s => s.Label("interface"))))
            {
                expectedDuplicates[other] += truth[other][(initiator, target)].Bytes + truth[other][(target, initiator)].Bytes;
            }
        }

        // The pods' ports carry nothing else that is IP (IPv6 is off in the lab's namespaces).
        Assert.Equal(expectedDuplicates, duplicates);
        if (countAt == "every_point")
        {
            Assert.All(duplicates.Values, d => Assert.Equal(0, d));
        }
    }

    private static string[] Tcpdump(OvsLab lab, string port) => ["-i", port, "-s", "128", "-B", "65536", "-n", "-U", "-w", Path.Combine(lab.Directory, port + ".pcap")];
}
