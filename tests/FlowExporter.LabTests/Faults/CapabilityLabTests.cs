using System.Text.Json;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Faults;

/// <summary>
/// The minimal privileges of docs/security.md, checked on the real exporter: an unprivileged uid holding only
/// CAP_NET_RAW captures a pod port (promiscuous mode included), and without it capture is down while the rest serves.
/// </summary>
[Trait("Category", "Lab")]
public sealed class CapabilityLabTests
{
    private const string Nobody = "65534";

    /// <summary>CAP_NET_RAW is capability 13: the mask 0x2000, and nothing else.</summary>
    private const string NetRawOnly = "0000000000002000";

    private static string[] Setpriv(string capabilities) =>
    [
        LabPrerequisites.FindOnPath("setpriv")!, $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups",
        $"--inh-caps=-all{capabilities}", $"--ambient-caps=-all{capabilities}", $"--bounding-set=-all{capabilities}",
    ];

    [Fact]
    public async Task As_nobody_with_only_NET_RAW_capture_counts_a_ping_exactly_even_in_promiscuous_mode()
    {
        LabPrerequisites.RequireOvsLab("setpriv", "ping", "curl");
        await using var lab = await OvsLab.StartAsync("flcap");
        var client = await lab.AddPodAsync("cli", "10.99.42.1/24");
        var server = await lab.AddPodAsync("srv", "10.99.42.2/24");
        var promiscuityBefore = await PromiscuityAsync(lab, client.PortName); // ovs-vswitchd holds its own
        await using var exporter = await LabExporter.StartAsync(
            lab.NodeNamespace,
            ["--interface", client.PortName, "--node", "lab-node"],
            environment: new Dictionary<string, string> { ["FLOWEXPORTER_CAPTURE__PROMISCUOUS"] = "true" },
            launcher: Setpriv(",+net_raw"));

        var status = await File.ReadAllLinesAsync($"/proc/{exporter.Process.Id}/status");
        Assert.Equal($"Uid:\t{Nobody}\t{Nobody}\t{Nobody}\t{Nobody}", status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)));
        Assert.Equal($"Gid:\t{Nobody}\t{Nobody}\t{Nobody}\t{Nobody}", status.Single(l => l.StartsWith("Gid:", StringComparison.Ordinal)));
        foreach (var set in new[] { "CapEff", "CapPrm", "CapBnd", "CapAmb" })
        {
            Assert.Equal($"{set}:\t{NetRawOnly}", status.Single(l => l.StartsWith(set + ":", StringComparison.Ordinal)));
        }

        // Promiscuous mode through libpcap's packet-socket membership: NET_RAW is enough (no NET_ADMIN).
        Assert.Equal(promiscuityBefore + 1, await PromiscuityAsync(lab, client.PortName));

        await OvsLab.ExecAsync(client.Namespace, ["ping", "-c", "3", "-i", "0.2", "-W", "2", server.Ip], TimeSpan.FromSeconds(20));
        var samples = await exporter.ScrapeUntilAsync(
            s => s.Named("network_connection_packets_total").Any(x => x.Has(("protocol", "icmp"), ("direction", "target_to_initiator")) && x.Value == 3),
            TimeSpan.FromSeconds(15),
            "the ping counted");
        Assert.Equal(3, samples.Named("network_connection_packets_total").Single(x => x.Has(("protocol", "icmp"), ("direction", "initiator_to_target"))).Value);
        Assert.Contains(samples.Named("flowexporter_source_up"), s => s.Label("source") == "capture" && s.Value == 1);

        Assert.True(await exporter.Process.StopAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, exporter.Process.ExitCode);
        Assert.Equal(promiscuityBefore, await PromiscuityAsync(lab, client.PortName));
    }

    [Fact]
    public async Task As_nobody_without_NET_RAW_capture_is_down_with_the_reason_logged_and_the_exporter_keeps_serving()
    {
        LabPrerequisites.RequireOvsLab("setpriv", "curl");
        await using var lab = await OvsLab.StartAsync("flnocap");
        var client = await lab.AddPodAsync("cli", "10.99.43.1/24");
        await using var exporter = await LabExporter.StartAsync(
            lab.NodeNamespace,
            ["--interface", client.PortName, "--node", "lab-node"],
            launcher: Setpriv(string.Empty),
            waitReady: false);

        var samples = await exporter.ScrapeUntilAsync(
            s => s.Named("network_capture_interface_up").Any(x => x.Label("interface") == client.PortName && x.Value == 0)
                && s.Named("flowexporter_source_up").Any(x => x.Label("source") == "capture" && x.Value == 0),
            TimeSpan.FromSeconds(15),
            "capture reported down");
        Assert.NotEmpty(samples);
        var ready = await OvsLab.ExecAsync(lab.NodeNamespace, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", exporter.BaseUrl + "/readyz"], TimeSpan.FromSeconds(10));
        Assert.Equal("503", ready.StandardOutput.Trim());
        await exporter.Process.WaitForOutputAsync("PermissionDenied", TimeSpan.FromSeconds(15));
        Assert.False(exporter.Process.HasExited);
    }

    private static async Task<int> PromiscuityAsync(OvsLab lab, string port)
    {
        var json = (await OvsLab.ExecAsync(lab.NodeNamespace, ["ip", "-d", "-j", "link", "show", port])).StandardOutput;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement[0].GetProperty("promiscuity").GetInt32();
    }
}
