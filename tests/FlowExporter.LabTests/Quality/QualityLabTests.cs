using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Quality;

/// <summary>
/// Connection quality from real traffic between two pods on a real Open vSwitch bridge, counted by the real exporter on
/// the client's port: refused, timed-out and unreachable attempts, and retransmissions under a token bucket that drops,
/// per connection equal to tshark's count on a tcpdump capture of the same port.
/// </summary>
[Trait("Category", "Lab")]
public sealed class QualityLabTests
{
    [Fact]
    public async Task Refused_timeout_unreachable_and_retransmissions_as_tshark_counts_them()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "tcpdump", "tshark", "curl", "tc");
        await using var lab = await OvsLab.StartAsync("fqual");
        var client = await lab.AddPodAsync("cli", "10.99.4.1/24");
        var server = await lab.AddPodAsync("srv", "10.99.4.2/24");
        var pcap = Path.Combine(lab.Directory, "truth.pcap");
        await using var tcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", client.PortName, "-s", "128", "-B", "65536", "-n", "-U", "-w", pcap]);
        await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        await using var exporter = await LabExporter.StartAsync(
            lab.NodeNamespace,
            ["--interface", client.PortName, "--node", "lab-node"],
            environment: new Dictionary<string, string>
            {
                ["FLOWEXPORTER_QUALITY__SYN_TIMEOUT"] = "2s",
                ["FLOWEXPORTER_QUALITY__AGGREGATION"] = "connection",
            });

        // A closed port answers the SYN with an RST.
        var refused = await OvsLab.ExecAsync(client.Namespace, ["curl", "-sS", "--max-time", "5", $"http://{server.Ip}:8081/"], TimeSpan.FromSeconds(10), check: false);
        Assert.Equal(7, refused.ExitCode);
        await exporter.ScrapeUntilAsync(s => Attempts(s, "8081", "refused") == 1, TimeSpan.FromSeconds(10), "the refused attempt");

        // UDP to a closed port: the server's kernel answers ICMP port unreachable, quoting the datagram.
        await OvsLab.ExecAsync(client.Namespace, ["bash", "-c", $"echo hello > /dev/udp/{server.Ip}/9999"], TimeSpan.FromSeconds(10));
        await exporter.ScrapeUntilAsync(s => Attempts(s, "9999", "unreachable", "udp") == 1, TimeSpan.FromSeconds(10), "the unreachable attempt");

        // A blackhole route in the server's namespace: its SYN-ACKs vanish, the client's SYNs stay unanswered.
        await OvsLab.ExecAsync(server.Namespace, ["ip", "route", "add", "blackhole", $"{client.Ip}/32"]);
        var unanswered = await OvsLab.ExecAsync(client.Namespace, ["curl", "-sS", "--connect-timeout", "4", $"http://{server.Ip}:8082/"], TimeSpan.FromSeconds(10), check: false);
        Assert.Equal(28, unanswered.ExitCode);
        var timedOut = await exporter.ScrapeUntilAsync(s => Attempts(s, "8082", "timeout") == 1, TimeSpan.FromSeconds(10), "the timed-out attempt");
        Assert.Equal(0, Attempts(timedOut, "8082", "established") + Attempts(timedOut, "8082", "refused"));
        await OvsLab.ExecAsync(server.Namespace, ["ip", "route", "del", "blackhole", $"{client.Ip}/32"]);

        // Loss: a 5 Mbit/s token bucket on the client's egress under a 20 Mbit/s iperf3.
        await OvsLab.ExecAsync(client.Namespace, ["tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "5mbit", "burst", "16k", "latency", "5ms"]);
        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        await OvsLab.ExecAsync(client.Namespace, ["iperf3", "-c", server.Ip, "-b", "20M", "-t", "3", "-l", "1400"], TimeSpan.FromSeconds(60));
        await exporter.ScrapeUntilQuietAsync(s => s.Named("network_capture_packets_total").Sum(x => x.Value), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        Assert.Matches(new System.Text.RegularExpressions.Regex("^0 packets dropped by kernel", System.Text.RegularExpressions.RegexOptions.Multiline), tcpdump.Output);
        var samples = await exporter.ScrapeAsync();
        Assert.Equal(0, samples.Named("network_capture_dropped_packets_total").Sum(s => s.Value));

        // Per connection and direction, retransmissions equal tshark's (a direction without any has no sample yet, as a
        // client library's labelled counter before its first increment); the handshake RTT equals its initial RTT.
        var truth = await TsharkQualityAsync(pcap);
        var connections = samples.Named("network_connection_handshake_rtt_seconds").Where(s => s.Label("target_port") == "5201").Select(s => s.Label("initiator_port")).ToList();
        Assert.Equal(2, connections.Count);
        var retransmitted = samples.Named("network_connection_retransmitted_packets_total").Where(s => s.Label("target_port") == "5201").ToList();
        Assert.All(retransmitted, s => Assert.True(s.Value > 0 && connections.Contains(s.Label("initiator_port")), $"{s}: a sample of one of the two connections, with its first count"));
        Assert.True(retransmitted.Sum(s => s.Value) > 0, "the token bucket caused retransmissions");
        foreach (var port in connections)
        {
            var initiator = $"{client.Ip}:{port}";
            var target = $"{server.Ip}:5201";
            foreach (var (direction, from, to) in new[] { ("initiator_to_target", initiator, target), ("target_to_initiator", target, initiator) })
            {
                var counted = retransmitted.Where(s => s.Label("initiator_port") == port && s.Label("direction") == direction).Sum(s => s.Value);
                Assert.True(
                    truth.Retransmissions.GetValueOrDefault((from, to)) == (long)counted,
                    $"{from} -> {to}: tshark {truth.Retransmissions.GetValueOrDefault((from, to))}, exporter {counted}");
            }
        }

        // Two live captures stamp each frame on their own socket when it is delivered (no hardware or skb timestamp on a
        // veth), a few microseconds apart: the RTTs agree within a millisecond here, to the nanosecond on a replay of one
        // file (QualityOracleTests).
        var handshakes = samples.Named("network_connection_handshake_rtt_seconds").Where(s => s.Label("target_port") == "5201").ToList();
        Assert.Equal(2, handshakes.Count);
        foreach (var sample in handshakes)
        {
            var tshark = truth.InitialRtt[$"{client.Ip}:{sample.Label("initiator_port")}"];
            Assert.True(sample.Value > 0 && Math.Abs(tshark - sample.Value) < 1e-3, $"port {sample.Label("initiator_port")}: tshark {tshark}, exporter {sample.Value}");
        }

        Assert.Equal(2, Attempts(samples, "5201", "established"));
        await OvsLab.ExecAsync(client.Namespace, ["tc", "qdisc", "del", "dev", "eth0", "root"]);
    }

    private static double Attempts(IReadOnlyList<Sample> samples, string port, string result, string protocol = "tcp") =>
        samples.Named("network_connection_attempts_total")
            .Where(s => s.Has(("target_port", port), ("result", result), ("protocol", protocol)))
            .Sum(s => s.Value);

    /// <summary>tshark's retransmissions per direction ("ip:port", "ip:port") and initial RTT (seconds) per initiator.</summary>
    private static async Task<(Dictionary<(string, string), long> Retransmissions, Dictionary<string, double> InitialRtt)> TsharkQualityAsync(string pcap)
    {
        var retransmissions = new Dictionary<(string, string), long>();
        var result = await ProcessRunner.CheckAsync(
            "tshark",
            ["-r", pcap, "-n", "-Y", "tcp.analysis.retransmission", "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport"],
            TimeSpan.FromSeconds(120));
        foreach (var f in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')))
        {
            var key = ($"{f[0]}:{f[1]}", $"{f[2]}:{f[3]}");
            retransmissions[key] = retransmissions.GetValueOrDefault(key) + 1;
        }

        var rtt = new Dictionary<string, double>();
        result = await ProcessRunner.CheckAsync(
            "tshark",
            ["-r", pcap, "-n", "-Y", "tcp.analysis.initial_rtt && tcp.flags.syn == 0 && tcp.flags.reset == 0", "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.analysis.initial_rtt"],
            TimeSpan.FromSeconds(120));
        foreach (var f in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')))
        {
            rtt.TryAdd($"{f[0]}:{f[1]}", double.Parse(f[2], CultureInfo.InvariantCulture));
        }

        return (retransmissions, rtt);
    }
}
