using System.Text.Json;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Capture;

/// <summary>A real Prometheus scrapes the exporter during real traffic: the rate it computes matches iperf3's.</summary>
[Trait("Category", "Lab")]
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Rate_of_the_iperf3_connection_is_close_to_iperf3s_own_rate()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "curl", "prometheus");
        await using var lab = await OvsLab.StartAsync("fprom");
        var client = await lab.AddPodAsync("cli", "10.99.3.1/24");
        var server = await lab.AddPodAsync("srv", "10.99.3.2/24");
        await using var exporter = await LabExporter.StartAsync(lab.NodeNamespace, ["--interface", client.PortName, "--node", "lab-node"]);
        await using var prometheus = await LabPrometheus.StartAsync(
            lab.NodeNamespace,
            lab.Directory,
            """
              - job_name: flowexporter
                static_configs:
                  - targets: ['127.0.0.1:9004']
            """);
        await prometheus.QueryUntilAsync("up{job=\"flowexporter\"}", r => r.Count == 1 && r[0].Value == 1, TimeSpan.FromSeconds(30));

        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        await using var iperfClient = BackgroundProcess.Start(client.Namespace, "iperf3", ["-c", server.Ip, "-t", "40", "-b", "100M", "-J"]);

        // Once the 30 s window is full of samples of the running transfer, its rate is iperf3's rate plus headers.
        const string Selector = "network_connection_bytes_total{direction=\"initiator_to_target\",target_port=\"5201\"}";
        await prometheus.QueryUntilAsync($"max(count_over_time({Selector}[30s]))", r => r.Count == 1 && r[0].Value >= 28, TimeSpan.FromSeconds(60));
        var rate = await prometheus.QueryAsync($"max(rate({Selector}[30s]))");
        Assert.True(rate.Count == 1 && rate[0].Value > 0, "a non-zero rate");

        Assert.True(await iperfClient.WaitForExitAsync(TimeSpan.FromSeconds(60)), "iperf3 finished");
        var start = iperfClient.Output.IndexOf('{', StringComparison.Ordinal);
        Assert.True(start >= 0, $"iperf3 printed its JSON report:\n{iperfClient.Output}");
        var json = iperfClient.Output[start..];
        using var report = JsonDocument.Parse(json);
        var iperfBytesPerSecond = report.RootElement.GetProperty("end").GetProperty("sum_sent").GetProperty("bits_per_second").GetDouble() / 8;

        // Wire bytes carry Ethernet, IP and TCP headers on top of iperf3's payload: a few percent more.
        var ratio = rate[0].Value / iperfBytesPerSecond;
        Assert.InRange(ratio, 0.8, 1.3);

        // Prometheus negotiated OpenMetrics and found nothing wrong with the exposition.
        var samples = await prometheus.QueryAsync("scrape_samples_scraped{job=\"flowexporter\"}");
        Assert.True(samples.Single().Value > 20, $"{samples.Single().Value} samples scraped");
        Assert.Equal(1, (await prometheus.QueryAsync("up{job=\"flowexporter\"}")).Single().Value);
    }
}
