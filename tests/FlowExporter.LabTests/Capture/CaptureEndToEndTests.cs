using System.Text.Json;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Capture;

/// <summary>
/// Real traffic between two pods (namespaces) on a real Open vSwitch bridge, captured by the real exporter on the
/// OVS port, against an independent tcpdump capture of the same port.
/// </summary>
[Trait("Category", "Lab")]
public sealed class CaptureEndToEndTests
{
    [Fact]
    public async Task Iperf3_bytes_match_tcpdump_the_client_is_the_initiator_and_series_leave_after_the_timeout()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "tcpdump", "tshark", "curl");
        await using var lab = await OvsLab.StartAsync("fcap");
        var client = await lab.AddPodAsync("cli", "10.99.2.1/24");
        var server = await lab.AddPodAsync("srv", "10.99.2.2/24");
        var pcap = Path.Combine(lab.Directory, "truth.pcap");

        await using var tcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", client.PortName, "-s", "128", "-B", "65536", "-n", "-U", "-w", pcap]);
        await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        await using var exporter = await LabExporter.StartAsync(
            lab.NodeNamespace,
            ["--interface", client.PortName, "--connection-timeout", "5", "--node", "lab-node"],
            environment: new Dictionary<string, string> { ["FLOWEXPORTER_CONNECTIONS__CLOSE_LINGER"] = "8s" });

        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        var run = await OvsLab.ExecAsync(client.Namespace, ["iperf3", "-c", server.Ip, "-n", "20M", "-J"], TimeSpan.FromSeconds(120));
        using var report = JsonDocument.Parse(run.StandardOutput);
        var sentPayload = report.RootElement.GetProperty("end").GetProperty("sum_sent").GetProperty("bytes").GetInt64();
        Assert.True(sentPayload >= 20L * 1024 * 1024);

        // Wait until the traffic is over (the exporter's frame count holds still for a second), then stop the independent
        // capture: tcpdump writes what its filter received only while it runs.
        await exporter.ScrapeUntilQuietAsync(s => s.Named("network_capture_packets_total").Sum(x => x.Value), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        var captured = System.Text.RegularExpressions.Regex.Match(tcpdump.Output, "^(\\d+) packets captured", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        var received = System.Text.RegularExpressions.Regex.Match(tcpdump.Output, "^(\\d+) packets received by filter", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        Assert.True(captured == received, $"tcpdump wrote every frame its filter received:\n{tcpdump.Output}");
        Assert.Matches(new System.Text.RegularExpressions.Regex("^0 packets dropped by kernel", System.Text.RegularExpressions.RegexOptions.Multiline), tcpdump.Output);
        var truth = await WireTruth.TcpDirectionsAsync(pcap);
        var samples = await exporter.ScrapeAsync();

        var kernelDrops = samples.Named("network_capture_dropped_packets_total").Sum(s => s.Value);
        Assert.Equal(0, kernelDrops);
        var connections = samples.Named("network_connection_bytes_total").Where(s => s.Label("target_port") == "5201").ToList();
        Assert.Equal(4, connections.Count);
        foreach (var sample in connections)
        {
            Assert.Equal("lab-node", sample.Label("node"));
            Assert.Equal(client.PortName, sample.Label("interface"));
            Assert.Equal("tcp", sample.Label("protocol"));
            Assert.Equal(client.Ip, sample.Label("initiator_ip"));
            Assert.Equal(server.Ip, sample.Label("target_ip"));
            Assert.Equal("syn", sample.Label("initiator_evidence"));
            var initiator = $"{client.Ip}:{sample.Label("initiator_port")}";
            var target = $"{server.Ip}:5201";
            var expected = sample.Label("direction") == "initiator_to_target" ? truth[(initiator, target)] : truth[(target, initiator)];
            var packets = samples.Named("network_connection_packets_total").Single(p => p.Labels.SequenceEqual(sample.Labels));
            Assert.True(
                expected == ((long)sample.Value, (long)packets.Value),
                $"{initiator} {sample.Label("direction")}: tcpdump {expected}, exporter ({sample.Value}, {packets.Value})\n{tcpdump.Output}");
        }

        // The data connection carried the payload: its initiator-to-target bytes exceed what iperf3 sent.
        Assert.True(connections.Max(c => c.Value) > sentPayload);

        // FIN both ways: closed after the linger; each series is shown with its final value once, then leaves. On a slow
        // machine the scrape above may already have been that one, so it is the first candidate.
        var shownAfterClose = new List<IReadOnlyList<Sample>> { samples };
        await exporter.ScrapeUntilAsync(
            s =>
            {
                shownAfterClose.Add(s);
                return !s.Named("network_connection_bytes_total").Any(x => x.Label("target_port") == "5201");
            },
            TimeSpan.FromSeconds(30),
            "the iperf3 series leaving after FIN and linger");
        // iperf3 ends its data connection with FIN and may abort the control connection with RST.
        var closed = shownAfterClose[^1].Named("network_connections_closed_total").Where(s => s.Has(("protocol", "tcp")) && s.Label("reason") is "fin" or "rst");
        Assert.Equal(2, closed.Sum(s => s.Value));
        Assert.Equal(2, shownAfterClose[^1].Named("network_connections_opened_total").Single(s => s.Has(("protocol", "tcp"))).Value);
        // The two connections close at their own moments, so each series may leave in a different scrape: each one's last
        // appearance shows the value compared with tcpdump above.
        foreach (var sample in connections)
        {
            var lastShown = shownAfterClose.Last(s => s.Named("network_connection_bytes_total").Any(x => x.Labels.SequenceEqual(sample.Labels)));
            Assert.Equal(sample.Value, lastShown.Named("network_connection_bytes_total").Single(x => x.Labels.SequenceEqual(sample.Labels)).Value);
        }

        // An idle flow (ICMP) times out after --connection-timeout seconds: closed by timeout, shown, then gone.
        await OvsLab.ExecAsync(client.Namespace, ["ping", "-c", "3", "-i", "0.2", server.Ip], TimeSpan.FromSeconds(20));
        await exporter.ScrapeUntilAsync(
            s => s.Named("network_connection_packets_total").Any(x => x.Has(("protocol", "icmp"), ("direction", "initiator_to_target")) && x.Value == 3),
            TimeSpan.FromSeconds(10),
            "the ping being counted");
        var afterTimeout = await exporter.ScrapeUntilAsync(
            s => !s.Named("network_connection_bytes_total").Any(x => x.Label("protocol") == "icmp"),
            TimeSpan.FromSeconds(30),
            "the ICMP series leaving after the idle timeout");
        Assert.Equal(1, afterTimeout.Named("network_connections_closed_total").Single(s => s.Has(("protocol", "icmp"), ("reason", "timeout"))).Value);

        Assert.True(await exporter.Process.StopAsync(TimeSpan.FromSeconds(5)), "the exporter exits within 5 s of SIGTERM");
        Assert.Equal(0, exporter.Process.ExitCode);
        Assert.Contains("capture: stopped, handles closed", exporter.Process.Output, StringComparison.Ordinal);
    }
}
