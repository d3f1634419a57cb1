using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.CapturePoints;

/// <summary>
/// Pods that come and go on a real OVS bridge, each with a connection to a pod that stays: once a deleted pod's
/// connections have timed out, its port leaves every per-interface family (its interface id is free for the next pod),
/// so the points the exporter exposes return to the baseline of the pods alive, not one more per pod ever seen.
/// </summary>
[Trait("Category", "Lab")]
public sealed class CapturePointIdsLabTests
{
    private const int Pods = 6;

    [Fact]
    public async Task Deleted_pods_ports_leave_the_exposition_after_their_connections_and_the_points_return_to_baseline()
    {
        LabPrerequisites.RequireOvsLab("ping");
        await using var lab = await OvsLab.StartAsync("fids");
        var server = await lab.AddPodAsync("srv", "10.99.71.2/24", Antrea("srv", "10.99.71.2"));
        var config = Path.Combine(lab.Directory, "flowexporter.yaml");
        await File.WriteAllTextAsync(config, $"""
            node: lab-node
            capture:
              discover: [ovs_pod_ports]
            connections:
              timeout: 2s
            ovs:
              mode: ovsdb
              db: {lab.DbTarget}

            """);
        await using var exporter = await LabExporter.StartAsync(lab.NodeNamespace, ["--config", config]);
        var baseline = await exporter.ScrapeUntilAsync(s => Points(s).SequenceEqual([server.PortName]), TimeSpan.FromSeconds(10), $"only {server.PortName} captured");

        var deleted = new List<string>();
        for (var i = 0; i < Pods; i++)
        {
            var ip = $"10.99.71.{10 + i}";
            var client = await lab.AddPodAsync($"c{i}", ip + "/24", Antrea($"c{i}", ip));
            await exporter.ScrapeUntilAsync(
                s => s.Named("network_capture_interface_up").Any(x => x.Label("interface") == client.PortName && x.Value == 1),
                TimeSpan.FromSeconds(10),
                $"{client.PortName} capturing");
            await OvsLab.ExecAsync(client.Namespace, ["ping", "-c", "2", "-i", "0.2", "-W", "2", server.Ip], TimeSpan.FromSeconds(20));
            await exporter.ScrapeUntilAsync(
                s => s.Named("network_connection_bytes_total").Any(x => x.Label("interface") == client.PortName),
                TimeSpan.FromSeconds(10),
                $"the ping's series at {client.PortName}");
            await ProcessRunner.CheckAsync("ip", ["-n", lab.NodeNamespace, "link", "del", client.PortName]);
            await lab.RemovePortAsync(client.PortName);
            deleted.Add(client.PortName);
        }

        // Each ping's connection times out (2 s), one more scrape shows its final values, and its point leaves.
        var after = await exporter.ScrapeUntilAsync(
            s => Points(s).SequenceEqual([server.PortName]) && !s.Any(x => deleted.Contains(x.Label("interface"))),
            TimeSpan.FromSeconds(30),
            "the deleted pods' ports gone from every family");
        Assert.Equal(Points(baseline), Points(after));
        Assert.Contains(after.Named("flowexporter_source_up"), s => s.Label("source") == "capture" && s.Value == 1);
    }

    /// <summary>The capture points the engine exports (an id in use each).</summary>
    private static string[] Points(IReadOnlyList<Sample> samples) =>
        [.. samples.Named("network_capture_packets_total").Select(s => s.Label("interface")).Distinct().Order(StringComparer.Ordinal)];

    private static Dictionary<string, string> Antrea(string pod, string ip) => new()
    {
        ["pod-name"] = pod,
        ["pod-namespace"] = "shop",
        ["ip"] = ip,
    };
}
