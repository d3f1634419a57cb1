using FlowExporter.Configuration;
using FlowExporter.Sources;
using Microsoft.Extensions.Configuration;
using Prometheus;

namespace FlowExporter.Tests.Sources;

public sealed class ReadinessTests
{
    private readonly SourceHealth _health = new(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()));

    private static ReadinessOptions Options(params (string Key, string Value)[] values) =>
        ReadinessOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build(),
            ["capture", "ovs", "snmp", "kubernetes", "endpoints_file", "probes"]);

    [Fact]
    public void Every_registered_source_gates_by_default()
    {
        var readiness = new Readiness(_health, Options());
        _health.Register("capture");
        _health.Register("ovs");
        _health.Succeeded("capture", DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        Assert.Equal(["ovs"], readiness.Pending().Select(p => p.Source));
        _health.Succeeded("ovs", DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        Assert.Empty(readiness.Pending());
    }

    [Fact]
    public void Readiness_sources_names_the_gating_ones_as_a_list_or_comma_separated()
    {
        Assert.Equal(["capture", "ovs"], Options(("readiness:sources:0", "capture"), ("readiness:sources:1", "ovs")).Sources);
        var readiness = new Readiness(_health, Options(("readiness:sources", "capture")));
        _health.Register("capture");
        _health.Register("snmp");
        Assert.Equal(["capture"], readiness.Pending().Select(p => p.Source));
        _health.Succeeded("capture", DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        Assert.Empty(readiness.Pending());
    }

    [Fact]
    public void An_extra_condition_holds_readiness_after_the_first_success()
    {
        var readiness = new Readiness(_health, Options());
        _health.Register("capture");
        readiness.Register("capture");
        _health.Succeeded("capture", DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        Assert.Equal("capture: first pass not complete", Assert.Single(readiness.Pending()).Describe());
        readiness.MarkReady("capture");
        Assert.Empty(readiness.Pending());
    }

    [Theory]
    [InlineData("readiness:\n  sources: []\n", null)]
    [InlineData("readiness:\n  sources: [capture, snmp]\n", "capture,snmp")]
    public void The_yaml_forms_of_the_readme_are_read(string yaml, string? expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, yaml);
            var options = ReadinessOptions.FromConfiguration(
                ConfigLoader.Load(file, new Dictionary<string, string>(), new Dictionary<string, string?>()),
                ["capture", "ovs", "snmp"]);
            Assert.Equal(expected, options.Sources is null ? null : string.Join(',', options.Sources));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("readiness:sources", "snpm", "config: readiness.sources: unknown source 'snpm' (known: capture, ovs, snmp, kubernetes, endpoints_file, probes)")]
    [InlineData("readiness:source", "snmp", "config: readiness.source: unknown key (did you mean sources?)")]
    public void A_typo_is_refused_naming_the_key(string key, string value, string message)
    {
        var error = Assert.Throws<ConfigException>(() => Options((key, value)));
        Assert.Equal(message, error.Message);
    }
}
