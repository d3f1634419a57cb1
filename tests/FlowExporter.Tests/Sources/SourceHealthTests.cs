using System.Text;
using FlowExporter.Sources;
using FlowExporter.TestSupport;
using Prometheus;

namespace FlowExporter.Tests.Sources;

/// <summary>The one health mechanism: source series, instance series, the partly-up rule and what readiness reads.</summary>
public sealed class SourceHealthTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly SourceHealth _health;

    public SourceHealthTests() => _health = new SourceHealth(Metrics.WithCustomRegistry(_registry));

    private async Task<IReadOnlyList<Sample>> SamplesAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Exposition.Parse(Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static double Value(IReadOnlyList<Sample> samples, string name, params (string, string)[] labels) =>
        Assert.Single(samples.Named(name), s => s.Has(labels)).Value;

    [Fact]
    public async Task Three_of_four_switches_up_is_source_down_with_the_instance_series_saying_which()
    {
        _health.Register("snmp");
        foreach (var name in new[] { "sw1", "sw2", "sw3", "sw4" })
        {
            _health.RegisterInstance("snmp", name);
        }

        _health.InstanceSucceeded("snmp", "sw1", At, TimeSpan.FromMilliseconds(20));
        _health.InstanceSucceeded("snmp", "sw2", At, TimeSpan.FromMilliseconds(20));
        _health.InstanceSucceeded("snmp", "sw3", At, TimeSpan.FromMilliseconds(20));
        _health.InstanceFailed("snmp", "sw4", "timeout", TimeSpan.FromSeconds(2));

        var samples = await SamplesAsync();
        Assert.Equal(0, Value(samples, "flowexporter_source_up", ("source", "snmp")));
        Assert.Equal(
            [("sw1", 1.0), ("sw2", 1.0), ("sw3", 1.0), ("sw4", 0.0)],
            samples.Named("flowexporter_source_instance_up").Where(s => s.Has(("source", "snmp"))).Select(s => (s.Label("instance"), s.Value)).Order());
        Assert.Equal(1, Value(samples, "flowexporter_source_errors_total", ("source", "snmp"), ("reason", "timeout")));
        Assert.DoesNotContain(samples.Named("flowexporter_source_last_success_timestamp_seconds"), s => s.Has(("source", "snmp")));
        var pending = Assert.Single(_health.NotReady());
        Assert.Equal("snmp: sw4 (timeout)", pending.Describe());

        // The fourth answers: every instance up, so the source is up and its last success is now.
        _health.InstanceSucceeded("snmp", "sw4", At.AddSeconds(30), TimeSpan.FromMilliseconds(25));
        samples = await SamplesAsync();
        Assert.Equal(1, Value(samples, "flowexporter_source_up", ("source", "snmp")));
        Assert.Equal(1_800_000_030, Value(samples, "flowexporter_source_last_success_timestamp_seconds", ("source", "snmp")));
        Assert.Equal(0.025, Value(samples, "flowexporter_source_collection_duration_seconds", ("source", "snmp")));
        Assert.Empty(_health.NotReady());
    }

    [Fact]
    public void An_instance_that_fails_later_keeps_the_source_ready_but_not_up()
    {
        _health.Register("capture");
        _health.RegisterInstance("capture", "eth0");
        _health.RegisterInstance("capture", "eth1");
        _health.InstanceSucceeded("capture", "eth0", At, TimeSpan.Zero);
        Assert.Equal("capture: eth1 (no collection yet)", Assert.Single(_health.NotReady()).Describe());

        _health.InstanceSucceeded("capture", "eth1", At, TimeSpan.Zero);
        _health.InstanceDown("capture", "eth1", "interface_missing");
        Assert.False(_health.IsUp("capture"));
        Assert.False(_health.IsUp("capture", "eth1"));
        Assert.True(_health.IsUp("capture", "eth0"));

        // Each instance has succeeded once: ready (a later failure shows in the up series, not in /readyz).
        Assert.Empty(_health.NotReady());
    }

    [Fact]
    public async Task A_source_without_instances_is_not_ready_until_its_first_success_and_says_why()
    {
        _health.Register("ovs");
        Assert.Equal("ovs: no collection yet", Assert.Single(_health.NotReady()).Describe());
        _health.Failed("ovs", "connect_failed", TimeSpan.FromMilliseconds(3));
        Assert.Equal("ovs: connect_failed", Assert.Single(_health.NotReady()).Describe());
        _health.Succeeded("ovs", At, TimeSpan.FromMilliseconds(4));
        Assert.Empty(_health.NotReady());
        var samples = await SamplesAsync();
        Assert.Equal(1, Value(samples, "flowexporter_source_up", ("source", "ovs")));
        Assert.Equal(1, Value(samples, "flowexporter_source_errors_total", ("source", "ovs"), ("reason", "connect_failed")));
    }

    [Fact]
    public void Staying_down_counts_no_new_error_and_an_unregistered_instance_is_a_bug()
    {
        _health.Register("capture");
        _health.RegisterInstance("capture", "eth0");
        _health.InstanceDown("capture", "eth0", "interface_missing");
        _health.InstanceDown("capture", "eth0", "interface_missing");
        Assert.Equal("capture: eth0 (interface_missing)", Assert.Single(_health.NotReady()).Describe());
        Assert.Throws<InvalidOperationException>(() => _health.InstanceSucceeded("capture", "eth9", At, TimeSpan.Zero));
    }
}
