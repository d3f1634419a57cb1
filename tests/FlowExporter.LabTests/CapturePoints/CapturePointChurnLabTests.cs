using System.Diagnostics;
using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.CapturePoints;

/// <summary>
/// Links matching a glob created and deleted in a loop while a steady pair of pods (discovered OVS pod ports) moves
/// traffic: every churned link is opened once and closed once, the exporter's descriptors return to their baseline,
/// and the steady pair loses nothing.
/// </summary>
[Trait("Category", "Lab")]
public sealed class CapturePointChurnLabTests
{
    private const int Links = 50;
    private static readonly TimeSpan ChurnFor = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Fifty_links_matching_a_glob_churned_for_20s_leak_no_descriptor_open_each_once_and_cost_the_steady_pair_no_packet()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "curl");
        await using var lab = await OvsLab.StartAsync("fchp");
        var client = await lab.AddPodAsync("cli", "10.99.62.1/24", new Dictionary<string, string> { ["iface-id"] = "shop_cli" });
        var server = await lab.AddPodAsync("srv", "10.99.62.2/24", new Dictionary<string, string> { ["iface-id"] = "shop_srv" });
        var glob = $"z{lab.Suffix}*";
        var config = Path.Combine(lab.Directory, "flowexporter.yaml");
        await File.WriteAllTextAsync(config, $"""
            node: lab-node
            capture:
              interfaces: ["{glob}"]
              discover: [ovs_pod_ports]
            ovs:
              mode: ovsdb
              db: {lab.DbTarget}

            """);
        await using var exporter = await LabExporter.StartAsync(lab.NodeNamespace, ["--config", config]);
        await exporter.ScrapeUntilAsync(s => Points(s, "discover:ovs_pod_ports") == 2, Bound, "the steady pair's ports captured");

        // One cycle first, so that what the runtime opens once (threads, epoll, libpcap's first device list) is in the baseline.
        await CycleAsync(lab, exporter, glob);
        var baseline = Descriptors(exporter.Process.Id);

        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        var seconds = ((int)ChurnFor.TotalSeconds + 5).ToString(CultureInfo.InvariantCulture);
        var traffic = OvsLab.ExecAsync(client.Namespace, ["iperf3", "-c", server.Ip, "-t", seconds, "-b", "20M"], TimeSpan.FromSeconds(120));
        var cycles = 1;
        var churning = Stopwatch.StartNew();
        while (churning.Elapsed < ChurnFor)
        {
            await CycleAsync(lab, exporter, glob);
            cycles++;
        }

        await traffic;
        var after = await exporter.ScrapeUntilQuietAsync(
            s => s.Named("network_capture_kernel_received_packets_total").Where(x => x.Label("interface") == client.PortName).Sum(x => x.Value),
            TimeSpan.FromSeconds(1),
            Bound);
        Assert.Equal(baseline, await DescriptorsSettledAsync(exporter.Process.Id, baseline));

        var steady = (await exporter.ScrapeAsync()).Named("network_capture_dropped_packets_total")
            .Where(s => s.Label("interface") == client.PortName || s.Label("interface") == server.PortName)
            .ToList();
        Assert.Equal(4, steady.Count);
        Assert.All(steady, s => Assert.Equal(0, s.Value));
        Assert.True(after.Named("network_capture_kernel_received_packets_total").Single(s => s.Label("interface") == client.PortName).Value > 1000);

        var log = exporter.Process.Output.Split('\n');
        var prefix = $"capture point z{lab.Suffix}";
        Assert.Equal(cycles * Links, log.Count(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(") opened as", StringComparison.Ordinal)));
        Assert.Equal(cycles * Links, log.Count(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(") closed: ", StringComparison.Ordinal)));
        Assert.Equal(cycles * Links, log.Count(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(") closed: the link is gone", StringComparison.Ordinal)));
        // The one warning about the glob is at start, before any link matched it.
        var warnings = log.Where(l => (l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal)) && l.Contains($"z{lab.Suffix}", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 1 && warnings[0].Contains($"selector '{glob}' matches no interface yet", StringComparison.Ordinal), string.Join('\n', warnings));
    }

    /// <summary>Adds the links (a veth pair each, one end matching the glob), waits until all are captured, deletes them, waits until none is.</summary>
    private static async Task CycleAsync(OvsLab lab, LabExporter exporter, string glob)
    {
        var names = Enumerable.Range(0, Links).Select(i => (Point: $"z{lab.Suffix}{i:D2}", Peer: $"y{lab.Suffix}{i:D2}")).ToList();
        await BatchAsync(lab, names.SelectMany(n => new[]
        {
            $"link add {n.Point} type veth peer name {n.Peer}",
            $"link set {n.Point} up",
            $"link set {n.Peer} up",
        }));
        await exporter.ScrapeUntilAsync(
            s => Points(s, glob) == Links && s.Named("network_capture_interface_up").Count(x => x.Label("interface").StartsWith($"z{lab.Suffix}", StringComparison.Ordinal) && x.Value == 1) == Links,
            Bound,
            $"{Links} links matching {glob} captured");
        await BatchAsync(lab, names.Select(n => $"link del {n.Point}"));
        await exporter.ScrapeUntilAsync(
            s => Points(s, glob) == 0 && !s.Named("flowexporter_source_instance_up").Any(x => x.Label("instance").StartsWith($"z{lab.Suffix}", StringComparison.Ordinal)),
            Bound,
            $"every link matching {glob} closed and gone from the instances");
    }

    private static double Points(IReadOnlyList<Sample> samples, string selector) =>
        samples.Named("network_capture_points").SingleOrDefault(s => s.Label("selector") == selector)?.Value ?? -1;

    private static int Descriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>
    /// The descriptor count once it is back at the baseline, or after 10 s: the last scrape's HTTP connection may still
    /// be closing when the churn ends (one descriptor); a leak is one or more per churned link and never settles.
    /// </summary>
    private static async Task<int> DescriptorsSettledAsync(int pid, int baseline)
    {
        var waited = Stopwatch.StartNew();
        var count = Descriptors(pid);
        while (count > baseline && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
            count = Descriptors(pid);
        }

        return count;
    }

    private static async Task BatchAsync(OvsLab lab, IEnumerable<string> lines)
    {
        var file = Path.Combine(lab.Directory, $"churn-{Guid.NewGuid():N}.batch");
        await File.WriteAllLinesAsync(file, lines);
        try
        {
            await ProcessRunner.CheckAsync("ip", ["-n", lab.NodeNamespace, "-batch", file], TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
