using FlowExporter.Configuration;

namespace FlowExporter.Tests.Configuration;

/// <summary>A pod level without any metadata source is valid, and said once at start.</summary>
public sealed class StartWarningsTests
{
    [Fact]
    public void The_default_quality_level_without_metadata_warns_that_pairs_are_ip_pairs()
    {
        var warnings = StartWarnings.For(Options([Capture]), hasMetadata: false);
        Assert.Equal(
            ["quality.aggregation: pod_pair names ends from endpoint metadata, and no metadata source is configured: quality series are kept per IP pair, one per client address (set quality.aggregation: endpoint, or add a metadata source)"],
            warnings);
    }

    [Fact]
    public void A_pod_level_for_connections_without_metadata_warns_too()
    {
        var warnings = StartWarnings.For(Options([Capture, ("connections:aggregation", "workload_pair"), ("quality:aggregation", "endpoint")]), hasMetadata: false);
        Assert.Equal(
            ["connections.aggregation: workload_pair names ends from endpoint metadata, and no metadata source is configured (kubernetes, endpoints_file, ovs): every end keeps its IP, as at the endpoint level"],
            warnings);
    }

    [Fact]
    public void Nothing_to_say_with_metadata_without_capture_or_at_address_levels()
    {
        Assert.Empty(StartWarnings.For(Options([Capture, ("connections:aggregation", "pod_pair")]), hasMetadata: true));
        Assert.Empty(StartWarnings.For(Options([("connections:aggregation", "pod_pair")]), hasMetadata: false));
        Assert.Empty(StartWarnings.For(Options([Capture, ("quality:enabled", "false")]), hasMetadata: false));
        Assert.Empty(StartWarnings.For(Options([Capture, ("quality:aggregation", "endpoint")]), hasMetadata: false));
    }

    private static (string, string) Capture => ("capture:interfaces:0", "eth0");

    private static ExporterOptions Options((string Key, string Value)[] keys) =>
        ExporterOptions.FromConfiguration(ConfigLoader.Load(null, new Dictionary<string, string>(), keys.ToDictionary(k => k.Key, k => (string?)k.Value)), "host");
}
