using FlowExporter.Configuration;
using FlowExporter.Probes;

namespace FlowExporter.Tests.Probes;

public sealed class ProbeOptionsTests
{
    [Fact]
    public void Absent_means_off_with_the_documented_defaults()
    {
        var options = Load([]);
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Timeout);
        Assert.Equal(8, options.MaxConcurrent);
        Assert.Equal(64, options.MaxTargetsPerRound);
        Assert.False(options.IncludeTraffic);
        Assert.Equal([ProbePath.Pod, ProbePath.Host], options.Paths.Order());
    }

    [Fact]
    public void Static_peers_take_the_listen_port_unless_they_name_one()
    {
        var options = Load(new()
        {
            ["probes:enabled"] = "true",
            ["probes:peers:0:name"] = "node-2",
            ["probes:peers:0:host"] = "192.0.2.2",
            ["probes:peers:1:name"] = "node-3",
            ["probes:peers:1:pod"] = "[2001:db8::3]",
            ["probes:peers:1:port"] = "9100",
        }).WithDefaultPort(9004);

        Assert.Equal(new ExporterPeer("node-2", [], ["192.0.2.2"], 9004), options.StaticPeers[0]);
        Assert.Equal(new ExporterPeer("node-3", ["2001:db8::3"], [], 9100), options.StaticPeers[1]);
    }

    [Fact]
    public void The_kubernetes_selector_defaults_to_the_DaemonSet_label()
    {
        var options = Load(new() { ["probes:enabled"] = "true", ["probes:kubernetes:namespace"] = "flowexporter" });
        Assert.NotNull(options.Kubernetes);
        Assert.True(options.Kubernetes.Matches("flowexporter", new Dictionary<string, string> { ["app.kubernetes.io/name"] = "flowexporter" }));
        Assert.False(options.Kubernetes.Matches("other", new Dictionary<string, string> { ["app.kubernetes.io/name"] = "flowexporter" }));
        Assert.False(options.Kubernetes.Matches("flowexporter", new Dictionary<string, string> { ["app"] = "web" }));
    }

    [Fact]
    public void Selectors_parse_as_kubectl_writes_them()
    {
        var requirements = PeerSelector.Parse("k", "app=fe, tier!=test,probe,!skip,role==node");
        var selector = new PeerSelector(null, requirements);
        Assert.True(selector.Matches("any", new Dictionary<string, string> { ["app"] = "fe", ["probe"] = "", ["role"] = "node" }));
        Assert.False(selector.Matches("any", new Dictionary<string, string> { ["app"] = "fe", ["probe"] = "", ["role"] = "node", ["skip"] = "1" }));
        Assert.False(selector.Matches("any", new Dictionary<string, string> { ["app"] = "fe", ["probe"] = "", ["role"] = "node", ["tier"] = "test" }));
    }

    [Theory]
    [InlineData("probes:colour", "blue", "config: probes.colour: unknown key")]
    [InlineData("probes:interval", "soon", "config: probes.interval: 'soon' is not a duration")]
    [InlineData("probes:timeout", "10s", "config: probes.timeout: must not be longer than the interval (5s)")]
    [InlineData("probes:paths", "pod,overlay", "config: probes.paths: 'overlay' is not one of pod, host")]
    [InlineData("probes:max_concurrent", "0", "config: probes.max_concurrent: 0 is outside 1..1024")]
    [InlineData("probes:scheme", "gopher", "config: probes.scheme: 'gopher' is not one of http, https")]
    [InlineData("probes:path", "healthz", "config: probes.path: 'healthz' is not an absolute URL path")]
    [InlineData("probes:kubernetes:label_selector", "app in (a,b)", "config: probes.kubernetes.label_selector: 'app in (a' is not a label requirement")]
    [InlineData("probes:peers:0:host", "10.0.0.1:9004", "config: probes.peers.0.host: '10.0.0.1:9004' is not an IP address or a DNS name")]
    public void Bad_values_stop_the_start_with_one_line_naming_the_key(string key, string value, string expected)
    {
        var values = new Dictionary<string, string?> { ["probes:peers:0:name"] = "node-2", ["probes:peers:0:host"] = "192.0.2.2", [key] = value };
        var error = Assert.Throws<ConfigException>(() => Load(values));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Enabled_without_peers_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => Load(new() { ["probes:enabled"] = "true" }));
        Assert.Equal("config: probes.enabled: is true but no peers are configured: set probes.peers or probes.kubernetes", error.Message);
    }

    [Fact]
    public void A_peer_listed_twice_or_without_an_address_is_an_error()
    {
        Assert.Equal(
            "config: probes.peers.1.name: peer 'node-2' is listed twice",
            Assert.Throws<ConfigException>(() => Load(new()
            {
                ["probes:peers:0:name"] = "node-2",
                ["probes:peers:0:host"] = "192.0.2.2",
                ["probes:peers:1:name"] = "node-2",
                ["probes:peers:1:host"] = "192.0.2.3",
            })).Message);
        Assert.Equal(
            "config: probes.peers.0.host: a peer needs a host or a pod address (an IP or a DNS name)",
            Assert.Throws<ConfigException>(() => Load(new() { ["probes:peers:0:name"] = "node-2" })).Message);
    }

    private static ProbeOptions Load(Dictionary<string, string?> values) =>
        ProbeOptions.FromConfiguration(ConfigLoader.Load(null, new Dictionary<string, string>(), values).GetSection("probes"));
}
