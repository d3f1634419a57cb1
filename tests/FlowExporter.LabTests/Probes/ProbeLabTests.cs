using System.Diagnostics;
using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;
using Xunit.Abstractions;

namespace FlowExporter.LabTests.Probes;

/// <summary>
/// Three real exporters in three node namespaces on one bridge probe each other over a host and a pod address each,
/// with capture on: all healthy; one stopped shows as connect errors at the others within two intervals (and as
/// timeouts once its node drops its answers); restarted, its series recover. Probe traffic never becomes a connection.
/// </summary>
[Trait("Category", "Lab")]
public sealed class ProbeLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Jitter = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Two rounds, each at most an interval plus its jitter, and a probe that was already under way.</summary>
    private static readonly TimeSpan TwoIntervals = (2 * (Interval + Jitter)) + ProbeTimeout;

    [Fact]
    public async Task Exporters_probe_each_other_report_a_stopped_peer_by_error_type_and_recover()
    {
        await using var lab = await NodeLab.StartAsync("prb", 3);
        var exporters = new LabExporter?[4];
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                exporters[i] = await StartAsync(lab, i);
            }

            // All pairs healthy: once every exporter is up (the first ones saw the later ones' ports still closed),
            // every peer over both paths keeps succeeding and no error counter moves.
            var baselines = new IReadOnlyList<Sample>[4];
            for (var i = 1; i <= 3; i++)
            {
                var self = i;
                baselines[i] = await exporters[i]!.ScrapeUntilAsync(
                    s => Peers(self).All(p => Count(s, p, "host") >= 1 && Count(s, p, "pod") >= 1),
                    TimeSpan.FromSeconds(30),
                    $"node-{i} sees both peers answer");
            }

            for (var i = 1; i <= 3; i++)
            {
                var self = i;
                var baseline = baselines[i];
                var healthy = await exporters[i]!.ScrapeUntilAsync(
                    s => Peers(self).All(p => Count(s, p, "host") >= Count(baseline, p, "host") + 2 && Count(s, p, "pod") >= Count(baseline, p, "pod") + 2),
                    TimeSpan.FromSeconds(30),
                    $"node-{i} probes both peers twice more");
                Assert.Equal(
                    baseline.Named("network_probe_errors_total").Select(e => e.Value),
                    healthy.Named("network_probe_errors_total").Select(e => e.Value));
                Assert.Equal(4, healthy.Named("network_probe_duration_seconds_count").Count());
            }

            await ProbeTrafficIsNotAConnectionAsync(lab, exporters[1]!);

            // Stop node-3's exporter: its port is closed, the others get refused connections.
            var before1 = await exporters[1]!.ScrapeAsync();
            var before2 = await exporters[2]!.ScrapeAsync();
            await exporters[3]!.DisposeAsync();
            exporters[3] = null;
            var stopped = Stopwatch.StartNew();
            await exporters[1]!.ScrapeUntilAsync(s => Grew(before1, s, "node-3", "connect", "host", "pod"), TwoIntervals, "node-1 reports connect errors for node-3");
            await exporters[2]!.ScrapeUntilAsync(s => Grew(before2, s, "node-3", "connect", "host", "pod"), TwoIntervals, "node-2 reports connect errors for node-3");
            output.WriteLine($"connect errors for the stopped peer at both others after {stopped.Elapsed.TotalSeconds:0.00}s (interval {Interval.TotalSeconds}s)");

            // Node-3 now drops what it would send to node-1 (its RSTs too): node-1 sees timeouts, node-2 still refusals.
            await lab.BlackholeAsync(3, toward: 1, add: true);
            before1 = await exporters[1]!.ScrapeAsync();
            before2 = await exporters[2]!.ScrapeAsync();
            var blackholed = Stopwatch.StartNew();
            await exporters[1]!.ScrapeUntilAsync(s => Grew(before1, s, "node-3", "timeout", "host", "pod"), TwoIntervals, "node-1 reports timeouts for node-3");
            output.WriteLine($"timeouts for the blackholed peer after {blackholed.Elapsed.TotalSeconds:0.00}s");
            await exporters[2]!.ScrapeUntilAsync(s => Grew(before2, s, "node-3", "connect", "host", "pod"), TwoIntervals, "node-2 still reports connect errors for node-3");
            var during = await exporters[1]!.ScrapeAsync();
            foreach (var type in new[] { "dns", "http" })
            {
                Assert.Equal(0, Errors(during, "node-3", "host", type));
                Assert.Equal(0, Errors(during, "node-3", "pod", type));
            }

            // Back: the errors stop growing and the durations grow again.
            await lab.BlackholeAsync(3, toward: 1, add: false);
            exporters[3] = await StartAsync(lab, 3);
            foreach (var i in new[] { 1, 2 })
            {
                var recovered = await exporters[i]!.ScrapeUntilAsync(
                    s => Count(s, "node-3", "host") > Count(before1, "node-3", "host") && Count(s, "node-3", "pod") > Count(before1, "node-3", "pod"),
                    TimeSpan.FromSeconds(30),
                    $"node-{i} sees node-3 answer again");
                var after = await exporters[i]!.ScrapeUntilAsync(
                    s => Count(s, "node-3", "host") >= Count(recovered, "node-3", "host") + 2 && Count(s, "node-3", "pod") >= Count(recovered, "node-3", "pod") + 2,
                    TimeSpan.FromSeconds(30),
                    $"node-{i} probes node-3 twice more");
                foreach (var path in new[] { "host", "pod" })
                {
                    foreach (var type in new[] { "dns", "connect", "timeout", "http" })
                    {
                        Assert.Equal(Errors(recovered, "node-3", path, type), Errors(after, "node-3", path, type));
                    }
                }
            }

            // The restarted exporter's own probes: a cold start on a loaded machine may time out its very first ones
            // (the probe timeout includes the new process warming up), so this checks the steady state.
            var started = await exporters[3]!.ScrapeUntilAsync(
                s => Peers(3).All(p => Count(s, p, "host") >= 1 && Count(s, p, "pod") >= 1),
                TimeSpan.FromSeconds(30),
                "the restarted node-3 sees both peers answer");
            var steady = await exporters[3]!.ScrapeUntilAsync(
                s => Peers(3).All(p => Count(s, p, "host") >= Count(started, p, "host") + 2 && Count(s, p, "pod") >= Count(started, p, "pod") + 2),
                TimeSpan.FromSeconds(30),
                "the restarted node-3 probes both peers twice more");
            Assert.Equal(started.Named("network_probe_errors_total").Select(e => e.Value), steady.Named("network_probe_errors_total").Select(e => e.Value));
            Assert.DoesNotContain(steady.Named("network_connection_packets_total"), c => c.Label("target_port") == "9004" || c.Label("initiator_port") == "9004");
        }
        finally
        {
            foreach (var exporter in exporters)
            {
                if (exporter is not null)
                {
                    await exporter.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Capture is on in every node: the probes (to and from this node, on 9004) are counted as ignored, other traffic between the same nodes is a connection.</summary>
    private static async Task ProbeTrafficIsNotAConnectionAsync(NodeLab lab, LabExporter node1)
    {
        var refused = await OvsLab.ExecAsync(lab.Namespace(2), ["curl", "-sS", "--max-time", "3", $"http://{NodeLab.HostAddress(1)}:5999/"], TimeSpan.FromSeconds(10), check: false);
        Assert.NotEqual(0, refused.ExitCode);
        var samples = await node1.ScrapeUntilAsync(
            s => s.Named("network_connection_packets_total").Any(c => c.Label("target_port") == "5999"),
            TimeSpan.FromSeconds(15),
            "node-1 accounts node-2's connection attempt on port 5999");
        var connection = samples.Named("network_connection_packets_total").First(c => c.Label("target_port") == "5999");
        Assert.Equal(NodeLab.HostAddress(2), connection.Label("initiator_ip"));
        Assert.DoesNotContain(samples.Named("network_connection_packets_total"), c => c.Label("target_port") == "9004" || c.Label("initiator_port") == "9004");
        Assert.True(samples.Named("network_capture_ignored_packets_total").Single(c => c.Label("reason") == "probe").Value > 0);
    }

    private static async Task<LabExporter> StartAsync(NodeLab lab, int node)
    {
        var peers = string.Join('\n', Peers(node).Select(p =>
        {
            var i = int.Parse(p["node-".Length..], CultureInfo.InvariantCulture);
            return $"    - {{ name: {p}, host: {NodeLab.HostAddress(i)}, pod: {NodeLab.PodAddress(i)} }}";
        }));
        var config = Path.Combine(lab.Directory, $"node-{node}.yaml");
        await File.WriteAllTextAsync(config, $"""
            node: node-{node}
            capture:
              interfaces: [eth0]
            probes:
              enabled: true
              interval: {Interval.TotalMilliseconds}ms
              timeout: {ProbeTimeout.TotalMilliseconds}ms
              jitter: {Jitter.TotalMilliseconds}ms
              peers:
            {peers}
            """);
        return await LabExporter.StartAsync(lab.Namespace(node), ["--config", config], 9004, listenHost: "0.0.0.0");
    }

    private static IEnumerable<string> Peers(int node) => Enumerable.Range(1, 3).Where(i => i != node).Select(i => $"node-{i}");

    private static double Count(IReadOnlyList<Sample> samples, string target, string path) =>
        samples.Named("network_probe_duration_seconds_count").Where(s => s.Has(("target_node", target), ("path", path))).Sum(s => s.Value);

    private static double Errors(IReadOnlyList<Sample> samples, string target, string path, string type) =>
        samples.Named("network_probe_errors_total").Where(s => s.Has(("target_node", target), ("path", path), ("type", type))).Sum(s => s.Value);

    private static bool Grew(IReadOnlyList<Sample> before, IReadOnlyList<Sample> now, string target, string type, params string[] paths) =>
        paths.All(path => Errors(now, target, path, type) > Errors(before, target, path, type));
}
