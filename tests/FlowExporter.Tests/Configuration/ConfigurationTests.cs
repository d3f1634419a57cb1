using FlowExporter.Configuration;
using FlowExporter.Correlator.Connections;

namespace FlowExporter.Tests.Configuration;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static ExporterOptions Load(string? file, Dictionary<string, string?>? environment = null, Dictionary<string, string?>? flags = null) =>
        ExporterOptions.FromConfiguration(
            ConfigLoader.Load(file, environment ?? [], flags ?? new Dictionary<string, string?>()),
            "host-1");

    [Fact]
    public void Defaults_need_no_file()
    {
        var options = Load(null);
        Assert.Equal("0.0.0.0", options.Listen.Host);
        Assert.Equal(9004, options.Listen.Port);
        Assert.Equal("host-1", options.Node);
        Assert.False(options.Capture.Enabled);
        Assert.Equal(128, options.Capture.SnapLength);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Connections.Timeout);
        Assert.Equal(100_000, options.Connections.Max);
    }

    [Fact]
    public void The_file_then_the_environment_then_flags_with_lists_replaced_whole()
    {
        var file = Write("""
            listen: 127.0.0.1:9100
            node: from-file
            capture:
              interfaces: [veth1, veth2, veth3]
              bpf: "tcp"
            connections:
              timeout: 2m
              aggregation: endpoint
              naming: skydive
            """);
        var options = Load(
            file,
            new Dictionary<string, string?> { ["NODE_NAME"] = "from-env", ["FLOWEXPORTER_CONNECTIONS__MAX"] = "5000" },
            new Dictionary<string, string?> { ["capture:interfaces:0"] = "eth9" });
        Assert.Equal("127.0.0.1", options.Listen.Host);
        Assert.Equal("from-env", options.Node);
        Assert.Equal(["eth9"], options.Capture.Interfaces);
        Assert.Equal("tcp", options.Capture.Bpf);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Connections.Timeout);
        Assert.Equal(5000, options.Connections.Max);
        Assert.Equal(AggregationLevel.Endpoint, options.Connections.Aggregation);
        Assert.Equal(SeriesNaming.Skydive, options.Connections.Naming);
    }

    [Theory]
    [InlineData("connection", AggregationLevel.Connection)]
    [InlineData("endpoint", AggregationLevel.Endpoint)]
    [InlineData("pod_pair", AggregationLevel.PodPair)]
    [InlineData("workload_pair", AggregationLevel.WorkloadPair)]
    public void Every_aggregation_level_is_read_from_the_file_the_environment_and_the_flag(string value, AggregationLevel expected)
    {
        Assert.Equal(expected, Load(Write($"connections:\n  aggregation: {value}\n")).Connections.Aggregation);
        Assert.Equal(expected, Load(null, new Dictionary<string, string?> { ["FLOWEXPORTER_CONNECTIONS__AGGREGATION"] = value }).Connections.Aggregation);
        Assert.Equal(expected, Load(null, flags: new Dictionary<string, string?> { ["connections:aggregation"] = value }).Connections.Aggregation);
        Assert.Equal(expected, Load(null, flags: new Dictionary<string, string?> { ["connections:aggregation"] = value }).Connections.ToTrackerOptions().Aggregation);
    }

    [Theory]
    [InlineData(null, CountAt.Node)]
    [InlineData("node", CountAt.Node)]
    [InlineData("every_point", CountAt.EveryPoint)]
    public void Connections_count_once_per_node_unless_every_point_is_asked(string? value, CountAt expected)
    {
        var yaml = value is null ? "connections:\n  timeout: 60s\n" : $"connections:\n  count_at: {value}\n";
        Assert.Equal(expected, Load(Write(yaml)).Connections.ToTrackerOptions().CountAt);
        if (value is not null)
        {
            Assert.Equal(expected, Load(null, new Dictionary<string, string?> { ["FLOWEXPORTER_CONNECTIONS__COUNT_AT"] = value }).Connections.CountAt);
        }
    }

    [Fact]
    public void Quality_is_on_by_default_and_set_from_the_file_and_the_environment()
    {
        var defaults = Load(null).Quality;
        Assert.True(defaults.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.SynTimeout);
        Assert.Equal(100_000, defaults.MaxSeries);
        Assert.Equal(AggregationLevel.PodPair, defaults.Aggregation);

        var file = Write("""
            quality:
              enabled: true
              aggregation: connection
              syn_timeout: 3s
              max_series: 500
            """);
        var options = Load(file, new Dictionary<string, string?> { ["FLOWEXPORTER_QUALITY__SYN_TIMEOUT"] = "1500ms" }).Quality;
        Assert.Equal(AggregationLevel.Connection, options.Aggregation);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.SynTimeout);
        Assert.Equal(500, options.MaxSeries);
        Assert.False(Load(Write("quality:\n  enabled: false\n")).Quality.Enabled);

        // Unset, the SYN timeout follows a shorter connection timeout down instead of stopping the start.
        Assert.Equal(TimeSpan.FromSeconds(5), Load(null, flags: new Dictionary<string, string?> { ["connections:timeout"] = "5" }).Quality.SynTimeout);
    }

    [Fact]
    public void An_environment_list_as_one_comma_separated_value()
    {
        var options = Load(null, new Dictionary<string, string?> { ["FLOWEXPORTER_CAPTURE__INTERFACES"] = "a, b" });
        Assert.Equal(["a", "b"], options.Capture.Interfaces);
    }

    [Theory]
    [InlineData("connections:\n  timeout: soon\n", "config: connections.timeout: 'soon' is not a duration (examples: 500ms, 30s, 5m, 1h)")]
    [InlineData("connections:\n  max: 0\n", "config: connections.max: 0 is outside 1..50000000")]
    [InlineData("connections:\n  aggregation: pods\n", "config: connections.aggregation: 'pods' is not one of connection, endpoint, pod_pair, workload_pair")]
    [InlineData("capture:\n  snaplen: 10\n", "config: capture.snaplen: 10 is outside 64..262144")]
    [InlineData("capture:\n  interface: [eth0]\n", "config: capture.interface: unknown key (did you mean interfaces?)")]
    [InlineData("listen: 9004\n", "config: listen: '9004' is not host:port (example: 0.0.0.0:9004)")]
    [InlineData("lisen: 1.2.3.4:5\n", "config: lisen: unknown key (did you mean listen?)")]
    [InlineData("quality:\n  syn_timeout: never\n", "config: quality.syn_timeout: 'never' is not a duration (examples: 500ms, 30s, 5m, 1h)")]
    [InlineData("quality:\n  syn_timeout: 50ms\n", "config: quality.syn_timeout: must be at least 0.1s")]
    [InlineData("connections:\n  timeout: 5s\nquality:\n  syn_timeout: 6s\n", "config: quality.syn_timeout: must not exceed connections.timeout (5s): the attempt would leave the table first")]
    [InlineData("quality:\n  enabled: maybe\n", "config: quality.enabled: 'maybe' is not true or false")]
    [InlineData("quality:\n  aggregation: nodes\n", "config: quality.aggregation: 'nodes' is not one of connection, endpoint, pod_pair, workload_pair")]
    [InlineData("quality:\n  max_series: -1\n", "config: quality.max_series: -1 is outside 1..50000000")]
    [InlineData("quality:\n  syn_timout: 5s\n", "config: quality.syn_timout: unknown key (did you mean syn_timeout?)")]
    [InlineData("colour: blue\n", "config: colour: unknown key (known here: listen, node, web_config_file, capture, connections, quality, ovs, snmp, kubernetes, endpoints_file, probes, readiness, ipfix)")]
    [InlineData("capture: [\n", null)]
    public void Bad_values_stop_the_start_with_one_line_naming_the_key(string yaml, string? message)
    {
        var error = Assert.Throws<ConfigException>(() => Load(Write(yaml)));
        Assert.DoesNotContain('\n', error.Message);
        if (message is not null)
        {
            Assert.Equal(message, error.Message);
        }
        else
        {
            Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("30", 30)]
    [InlineData("1.5", 1.5)]
    [InlineData("500ms", 0.5)]
    [InlineData("1h30m", 5400)]
    [InlineData("2m15s", 135)]
    public void Durations_in_seconds_or_prometheus_style(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }
}
