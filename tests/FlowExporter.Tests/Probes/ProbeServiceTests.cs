using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Probes;
using FlowExporter.Sources;
using FlowExporter.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Tests.Probes;

/// <summary>The probe loop's budget, its results as a scrape sees them, and the bounded life of peers that leave.</summary>
public sealed class ProbeServiceTests
{
    [Fact]
    public async Task A_round_probes_at_most_its_budget_with_at_most_max_concurrent_probes_and_takes_turns()
    {
        await using var server = HealthServer.Start(delay: TimeSpan.FromMilliseconds(200));
        var peers = Enumerable.Range(1, 10).Select(i => new ExporterPeer($"node-{i:00}", [], ["127.0.0.1"], server.Port)).ToArray();
        var options = new ProbeOptions { Enabled = true, MaxTargetsPerRound = 3, MaxConcurrent = 2, Timeout = TimeSpan.FromSeconds(5) };
        var results = new ProbeResults("node-00", options.Retention, 100);
        using var service = Service(options, new StaticPeers(peers), results, TimeProvider.System);

        for (var round = 0; round < 4; round++)
        {
            await service.RunRoundAsync(CancellationToken.None);
        }

        Assert.Equal(12, server.Requests);
        Assert.Equal(2, server.MaxConcurrent);
        var samples = Scrape(results);
        Assert.Equal(28, samples.Named("flowexporter_probe_skipped_total").Single().Value);
        Assert.Equal(10, samples.Named("flowexporter_probe_targets").Single().Value);
        var counts = samples.Named("network_probe_duration_seconds_count").ToDictionary(s => s.Label("target_node"), s => s.Value);
        Assert.Equal(10, counts.Count);
        Assert.Equal(12, counts.Values.Sum());
        Assert.All(counts.Values, c => Assert.InRange(c, 1, 2));
        Assert.All(samples.Named("network_probe_errors_total"), s => Assert.Equal(0, s.Value));
    }

    [Fact]
    public void The_planner_takes_targets_in_turn_and_all_of_them_when_they_fit()
    {
        var targets = Enumerable.Range(0, 5).Select(i => new ProbeTarget($"n{i}", ProbePath.Host, "127.0.0.1", 1)).ToArray();
        var planner = new ProbeRoundPlanner(2);
        Assert.Equal(["n0", "n1"], planner.Next(targets).Select(t => t.Node));
        Assert.Equal(["n2", "n3"], planner.Next(targets).Select(t => t.Node));
        Assert.Equal(["n4", "n0"], planner.Next(targets).Select(t => t.Node));
        Assert.Equal(["n0", "n1"], planner.Next(targets[..2]).Select(t => t.Node));
    }

    [Fact]
    public async Task Errors_are_counted_by_type_and_durations_only_for_successes()
    {
        await using var healthy = HealthServer.Start();
        await using var failing = HealthServer.Start(status: 500);
        ExporterPeer[] peers =
        [
            new("node-a", ["localhost"], ["127.0.0.1"], healthy.Port),
            new("node-b", [], ["127.0.0.1"], failing.Port),
            new("node-c", [], ["exporter-peer.invalid"], 9004),
        ];
        var options = new ProbeOptions { Enabled = true, Timeout = TimeSpan.FromSeconds(5) };
        var results = new ProbeResults("node-0", options.Retention, 100);
        using var service = Service(options, new StaticPeers(peers), results, TimeProvider.System);

        await service.RunRoundAsync(CancellationToken.None);
        await service.RunRoundAsync(CancellationToken.None);

        var samples = Scrape(results);
        double Count(string node, string path) => samples.Named("network_probe_duration_seconds_count").Single(s => s.Has(("target_node", node), ("path", path))).Value;
        double Errors(string node, string type) => samples.Named("network_probe_errors_total").Single(s => s.Has(("target_node", node), ("type", type))).Value;
        Assert.Equal(2, Count("node-a", "pod"));
        Assert.Equal(2, Count("node-a", "host"));
        Assert.Equal(0, Count("node-b", "host"));
        Assert.Equal(2, Errors("node-b", "http"));
        Assert.Equal(0, Errors("node-b", "connect"));
        Assert.Equal(2, Errors("node-c", "dns"));
        Assert.Equal(2, samples.Named("network_probe_duration_seconds_bucket").Single(s => s.Has(("target_node", "node-a"), ("path", "pod"), ("le", "+Inf"))).Value);
        Assert.All(samples.Named("network_probe_errors_total"), s => Assert.Equal("node-0", s.Label("node")));
    }

    [Fact]
    public async Task A_peer_that_leaves_keeps_its_series_for_the_retention_then_they_go()
    {
        await using var server = HealthServer.Start();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var source = new ChangingPeers([new("node-a", [], ["127.0.0.1"], server.Port), new("node-b", [], ["127.0.0.1"], server.Port)]);
        var options = new ProbeOptions { Enabled = true, Retention = TimeSpan.FromMinutes(2) };
        var results = new ProbeResults("node-0", options.Retention, 100);
        using var service = Service(options, source, results, time);

        await service.RunRoundAsync(CancellationToken.None);
        source.Current = [new("node-a", [], ["127.0.0.1"], server.Port)];
        time.Advance(TimeSpan.FromMinutes(1));
        await service.RunRoundAsync(CancellationToken.None);
        Assert.Contains(Scrape(results), s => s.Label("target_node") == "node-b");

        time.Advance(TimeSpan.FromMinutes(1.5));
        await service.RunRoundAsync(CancellationToken.None);
        Assert.DoesNotContain(Scrape(results), s => s.Label("target_node") == "node-b");
        Assert.Equal(1, results.SeriesCount);
    }

    [Fact]
    public async Task The_own_node_is_never_probed_and_a_hostNetwork_peer_is_probed_once_as_host()
    {
        await using var server = HealthServer.Start();
        ExporterPeer[] peers = [new("node-0", ["127.0.0.1"], ["127.0.0.1"], server.Port), new("node-1", ["127.0.0.1"], ["127.0.0.1"], server.Port)];
        var options = new ProbeOptions { Enabled = true };
        var results = new ProbeResults("node-0", options.Retention, 100);
        using var service = Service(options, new StaticPeers(peers), results, TimeProvider.System);

        await service.RunRoundAsync(CancellationToken.None);

        Assert.Equal(1, server.Requests);
        var count = Assert.Single(Scrape(results).Named("network_probe_duration_seconds_count"));
        Assert.True(count.Has(("target_node", "node-1"), ("path", "host")));
    }

    internal static IReadOnlyList<Sample> Scrape(ProbeResults results)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, ExpositionFormat.PrometheusText);
        results.Write(writer);
        return Exposition.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public async Task Peers_are_informational_instances_the_source_is_up_and_ready_once_a_round_completes()
    {
        await using var healthy = HealthServer.Start();
        await using var failing = HealthServer.Start(status: 500);
        var peers = new ChangingPeers(
        [
            new ExporterPeer("node-a", [], ["127.0.0.1"], healthy.Port),
            new ExporterPeer("node-b", [], ["127.0.0.1"], failing.Port),
        ]);
        var options = new ProbeOptions { Enabled = true, Timeout = TimeSpan.FromSeconds(5) };
        var health = new SourceHealth(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
        using var service = new ProbeService(
            options, [peers], new ProbeResults("node-0", options.Retention, 100), new HttpProbe(options, TimeProvider.System), TimeProvider.System,
            "node-0", 9004, NullLogger<ProbeService>.Instance, capture: null, health);
        Assert.Equal("probes: no collection yet", Assert.Single(health.NotReady()).Describe());

        await service.RunRoundAsync(CancellationToken.None);

        // A peer answering 500 is a measurement: its instance is down, the source is up and ready.
        Assert.True(health.IsUp(ProbeService.SourceName));
        Assert.True(health.IsUp(ProbeService.SourceName, "node-a"));
        Assert.False(health.IsUp(ProbeService.SourceName, "node-b"));
        Assert.Empty(health.NotReady());

        // A peer that leaves is no longer an instance.
        peers.Current = [new ExporterPeer("node-a", [], ["127.0.0.1"], healthy.Port)];
        await service.RunRoundAsync(CancellationToken.None);
        Assert.Equal(["node-a"], health.Instances(ProbeService.SourceName));
        Assert.True(health.IsUp(ProbeService.SourceName));
    }

    private static ProbeService Service(ProbeOptions options, IPeerSource source, ProbeResults results, TimeProvider time) =>
        new(options, [source], results, new HttpProbe(options, time), time, "node-0", 9004, NullLogger<ProbeService>.Instance);

    private sealed class ChangingPeers(IReadOnlyList<ExporterPeer> initial) : IPeerSource
    {
        public event EventHandler? Changed;

        public IReadOnlyList<ExporterPeer> Current
        {
            get;
            set
            {
                field = value;
                Changed?.Invoke(this, EventArgs.Empty);
            }
        } = initial;
    }
}
