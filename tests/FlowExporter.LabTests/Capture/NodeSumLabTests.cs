using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Capture;

/// <summary>
/// Issue 16's "once per node" proof on a real OVS bridge with every port captured: two pods talking on the node (seen
/// at both their ports), a pod talking out through the bridge's uplink port (seen at its port and the uplink), and a
/// remote peer behind the uplink opening a connection to that pod. A real Prometheus scrapes the exporter: the node's
/// sum of <c>network_connection_bytes_total</c> is what the traffic moved, each connection once (at the port where its
/// first packet entered the node, with the bytes a tcpdump of that port saw), and its <c>rate()</c> during the
/// transfers is the transfers' rate, not twice it; what the other ports saw of the same connections is in the
/// duplicate family.
/// </summary>
[Trait("Category", "Lab")]
public sealed partial class NodeSumLabTests
{
    private const string Node = "lab-node";

    [Fact]
    public async Task The_node_sum_counts_each_connection_once_on_the_node_and_through_the_uplink()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "tcpdump", "tshark", "curl", "prometheus");
        await using var lab = await OvsLab.StartAsync("fsum");
        var a = await lab.AddPodAsync("a", "10.99.5.1/24");
        var b = await lab.AddPodAsync("b", "10.99.5.2/24");
        var c = await lab.AddPodAsync("c", "10.99.5.3/24");

        // The bridge's way out of the node: a port whose far end is a peer outside it (a namespace of its own).
        var remote = await lab.AddPodAsync("upl", "10.99.5.4/24");
        var ports = new[] { a.PortName, b.PortName, c.PortName, remote.PortName };
        var tcpdumps = new List<BackgroundProcess>();
        foreach (var port in ports)
        {
            var tcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", port, "-s", "128", "-B", "65536", "-n", "-U", "-w", Pcap(lab, port)]);
            tcpdumps.Add(tcpdump);
            await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        }

        try
        {
            await using var exporter = await LabExporter.StartAsync(
                lab.NodeNamespace, [.. ports.SelectMany(p => new[] { "--interface", p }), "--node", Node]);
            await using var prometheus = await LabPrometheus.StartAsync(
                lab.NodeNamespace,
                lab.Directory,
                """
                  - job_name: flowexporter
                    static_configs:
                      - targets: ['127.0.0.1:9004']
                """);
            await prometheus.QueryUntilAsync("up{job=\"flowexporter\"}", r => r.Count == 1 && r[0].Value == 1, TimeSpan.FromSeconds(30));

            // Three transfers at once, 12 s each: pod to pod on the node, pod out through the uplink, remote peer in.
            (LabPod Server, LabPod Client, int Port)[] transfers = [(b, a, 5201), (remote, c, 5202), (c, remote, 5203)];
            var servers = new List<BackgroundProcess>();
            var clients = new List<BackgroundProcess>();
            try
            {
                foreach (var (server, _, port) in transfers)
                {
                    var iperf = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "-p", port.ToString(CultureInfo.InvariantCulture), "--forceflush"]);
                    servers.Add(iperf);
                    await iperf.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
                }

                foreach (var (server, client, port) in transfers)
                {
                    clients.Add(BackgroundProcess.Start(client.Namespace, "iperf3", ["-c", server.Ip, "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "12", "-b", "40M", "-J"]));
                }

                // Mid-transfer, once Prometheus has 8 s of samples of the six connections (each transfer's control and
                // data connection): the node's rate is the three transfers' rate (iperf3's payload plus headers), not
                // twice it (every connection is seen at two ports).
                const string Sent = "network_connection_bytes_total{node=\"lab-node\",direction=\"initiator_to_target\",target_port=~\"520[123]\"}";
                await prometheus.QueryUntilAsync($"count(count_over_time({Sent}[8s]) >= 7)", r => r.Count == 1 && r[0].Value == 6, TimeSpan.FromSeconds(30));
                var rate = (await prometheus.QueryAsync($"sum(rate({Sent}[8s]))")).Single().Value;
                var iperfRate = 0.0;
                foreach (var client in clients)
                {
                    Assert.True(await client.WaitForExitAsync(TimeSpan.FromSeconds(60)), "iperf3 finished");
                    using var report = JsonDocument.Parse(client.Output[client.Output.IndexOf('{', StringComparison.Ordinal)..]);
                    iperfRate += report.RootElement.GetProperty("end").GetProperty("sum_sent").GetProperty("bits_per_second").GetDouble() / 8;
                }

                // An 8 s window of the transfers against iperf3's average over all 12 s (headers add 3-5%); counted at
                // both ports, the ratio would be about 2.
                Assert.InRange(rate / iperfRate, 0.8, 1.25);
            }
            finally
            {
                foreach (var process in clients.Concat(servers))
                {
                    await process.DisposeAsync();
                }
            }

            var samples = await exporter.ScrapeUntilQuietAsync(s => s.Named("network_capture_packets_total").Sum(x => x.Value), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
            Assert.Equal(0, samples.Named("network_capture_dropped_packets_total").Sum(s => s.Value));
            var truth = new Dictionary<string, Dictionary<(string From, string To), (long Bytes, long Frames)>>();
            foreach (var (tcpdump, port) in tcpdumps.Zip(ports))
            {
                Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
                Assert.Matches(DroppedNone(), tcpdump.Output);
                truth[port] = await WireTruth.TcpDirectionsAsync(Pcap(lab, port));
            }

            // Each connection (iperf3's control and data connection of each transfer) is counted once, at the port its
            // first packet entered the node by: the initiating pod's port, or the uplink for the remote peer's.
            var series = samples.Named("network_connection_bytes_total").Where(s => s.Label("target_port") is "5201" or "5202" or "5203").ToList();
            Assert.Equal(3 * 2 * 2, series.Count);
            var owners = new Dictionary<string, string> { ["5201"] = a.PortName, ["5202"] = c.PortName, ["5203"] = remote.PortName };
            var expectedSum = 0L;
            var seenEverywhere = 0L;
            foreach (var sample in series)
            {
                Assert.Equal(owners[sample.Label("target_port")], sample.Label("interface"));
                var initiator = $"{sample.Label("initiator_ip")}:{sample.Label("initiator_port")}";
                var target = $"{sample.Label("target_ip")}:{sample.Label("target_port")}";
                var direction = sample.Label("direction") == "initiator_to_target" ? (initiator, target) : (target, initiator);
                var expected = truth[sample.Label("interface")][direction].Bytes;
                Assert.True(expected == (long)sample.Value, $"{direction} at {sample.Label("interface")}: tcpdump {expected}, exporter {sample.Value}");
                expectedSum += expected;
                seenEverywhere += truth.Values.Sum(t => t.GetValueOrDefault(direction).Bytes);
            }

            // Prometheus's node sum of the final counts (each series' last value: a connection's series leaves 5 s after
            // its FIN): each connection once, half of what the ports saw in all (each connection crosses two ports).
            var sum = $"sum(max_over_time(network_connection_bytes_total{{node=\"{Node}\",target_port=~\"520[123]\"}}[2m]))";
            var nodeSum = (await prometheus.QueryUntilAsync(sum, r => r.Count == 1 && (long)r[0].Value == expectedSum, TimeSpan.FromSeconds(30))).Single().Value;
            Assert.Equal(expectedSum, (long)nodeSum);
            Assert.Equal(2 * expectedSum, seenEverywhere);

            // What the other port of each connection saw is its duplicates: all the ports' bytes are accounted for.
            var duplicates = samples.Named("network_capture_point_duplicate_bytes_total").Sum(s => s.Value);
            Assert.Equal(seenEverywhere - expectedSum, (long)duplicates);
        }
        finally
        {
            foreach (var tcpdump in tcpdumps)
            {
                await tcpdump.DisposeAsync();
            }
        }
    }

    private static string Pcap(OvsLab lab, string port) => Path.Combine(lab.Directory, port + ".pcap");

    [GeneratedRegex("^0 packets dropped by kernel", RegexOptions.Multiline)]
    private static partial Regex DroppedNone();
}
