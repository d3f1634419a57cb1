using FlowExporter.Capture;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Net;
using FlowExporter.Kubernetes;
using FlowExporter.Probes;
using Microsoft.Extensions.DependencyInjection;

namespace FlowExporter.Tests.Probes;

/// <summary>The probe loop keeps the capture's probe-traffic filter current, unless probe traffic is included.</summary>
public sealed class ProbeCaptureFilterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_a_round_the_capture_ignores_probe_traffic_unless_it_is_included(bool include)
    {
        await using var peer = HealthServer.Start();
        var flags = new Dictionary<string, string?>
        {
            ["listen"] = "127.0.0.1:9004",
            ["node"] = "node-1",
            ["probes:enabled"] = "true",
            ["probes:include_traffic"] = include ? "true" : "false",
            ["probes:peers:0:name"] = "node-2",
            ["probes:peers:0:host"] = "localhost",
            ["probes:peers:0:port"] = peer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var exporter = ExporterOptions.FromConfiguration(ConfigLoader.Load(null, new Dictionary<string, string>(), flags), "host");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        var accounting = new ConnectionAccounting(exporter, TimeProvider.System);
        services.AddSingleton(accounting);
        services.AddProbes(ProbeOptions.FromConfiguration(exporter.Root.GetSection("probes")), exporter, new KubernetesOptions());
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<ProbeService>().RunRoundAsync(CancellationToken.None);

        var filter = accounting.Pipeline.ExcludedProbeTraffic;
        if (include)
        {
            Assert.Null(filter);
            return;
        }

        Assert.NotNull(filter);
        Assert.Equal(new ushort[] { 9004, (ushort)peer.Port }.Order(), filter.Ports.Order());
        Assert.True(filter.AddressCount >= 1);
        var packet = new Correlator.Decoding.DecodedPacket { Protocol = 6, Source = IpAddress.Parse("127.0.0.1"), Destination = IpAddress.Parse("127.0.0.1") };
        Assert.True(filter.Matches(packet, 40000, (ushort)peer.Port));
        Assert.False(filter.Matches(packet, 40000, 5201));
    }

    [Fact]
    public void Kubernetes_peers_without_the_Kubernetes_source_stop_the_start_with_one_line()
    {
        var flags = new Dictionary<string, string?> { ["probes:enabled"] = "true", ["probes:kubernetes:namespace"] = "flowexporter" };
        var exporter = ExporterOptions.FromConfiguration(ConfigLoader.Load(null, new Dictionary<string, string>(), flags), "host");
        var error = Assert.Throws<ConfigException>(() => new ServiceCollection().AddProbes(ProbeOptions.FromConfiguration(exporter.Root.GetSection("probes")), exporter, new KubernetesOptions()));
        Assert.StartsWith("config: probes.kubernetes: needs the Kubernetes source", error.Message, StringComparison.Ordinal);
        var filtered = new KubernetesOptions { Enabled = true, NodeFilter = "node-1" };
        Assert.StartsWith(
            "config: probes.kubernetes: needs every node's pods",
            Assert.Throws<ConfigException>(() => new ServiceCollection().AddProbes(ProbeOptions.FromConfiguration(exporter.Root.GetSection("probes")), exporter, filtered)).Message,
            StringComparison.Ordinal);
    }
}
