using FlowExporter.Capture;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Net;
using FlowExporter.Kubernetes;
using FlowExporter.Probes;
using k8s.Models;
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
        var (provider, accounting) = Build(
            Flags(
                ("probes:include_traffic", include ? "true" : "false"),
                ("probes:peers:0:name", "node-2"),
                ("probes:peers:0:host", "localhost"),
                ("probes:peers:0:port", peer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            new KubernetesOptions());
        await using var _ = provider;

        await provider.GetRequiredService<ProbeService>().RunRoundAsync(CancellationToken.None);

        var filter = accounting.Engine.ExcludedProbeTraffic;
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
    public async Task Before_any_hosted_service_starts_the_capture_ignores_a_known_peers_probes_from_any_of_its_addresses()
    {
        var flags = Flags(("probes:jitter", "1h"), ("probes:peers:0:name", "node-2"), ("probes:peers:0:host", "192.0.2.2"), ("probes:peers:0:pod", "10.244.2.7"));
        var (provider, accounting) = Build(flags, new KubernetesOptions());
        await using var _ = provider;
        Assert.Null(accounting.Engine.ExcludedProbeTraffic);

        await provider.GetRequiredService<ProbeService>().StartingAsync(CancellationToken.None);

        var filter = Assert.IsType<ProbeTrafficFilter>(accounting.Engine.ExcludedProbeTraffic);
        Assert.Equal([(ushort)9004], filter.Ports);
        var local = LocalAddress();
        Assert.True(filter.Matches(Tcp("192.0.2.2", local), 41000, 9004), "the peer's host address probing this exporter");
        Assert.True(filter.Matches(Tcp("10.244.2.7", local), 41000, 9004), "the peer's pod address probing this exporter");
        Assert.False(filter.Matches(Tcp("192.0.2.99", local), 41000, 9004), "a scraper that is not an exporter");
        Assert.False(filter.Matches(Tcp("192.0.2.2", local), 41000, 5201), "the peer's other traffic");
    }

    [Fact]
    public async Task Kubernetes_peers_that_appear_are_in_the_filter_before_any_round()
    {
        var (provider, accounting) = Build(Flags(("probes:jitter", "1h"), ("probes:kubernetes:namespace", "fe")), new KubernetesOptions { Enabled = true });
        await using var _ = provider;
        await provider.GetRequiredService<ProbeService>().StartingAsync(CancellationToken.None);
        var local = LocalAddress();
        Assert.False(accounting.Engine.ExcludedProbeTraffic!.Matches(Tcp("10.244.2.7", local), 41000, 9004));

        provider.GetRequiredService<KubernetesPeers>().Upserted(new V1Pod
        {
            Metadata = new() { Name = "flowexporter-b", NamespaceProperty = "fe", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "flowexporter" } },
            Spec = new() { NodeName = "node-2" },
            Status = new() { Phase = "Running", PodIP = "10.244.2.7", HostIP = "192.0.2.2" },
        });

        Assert.True(accounting.Engine.ExcludedProbeTraffic!.Matches(Tcp("10.244.2.7", local), 41000, 9004));
        Assert.True(accounting.Engine.ExcludedProbeTraffic!.Matches(Tcp("192.0.2.2", local), 41000, 9004));
    }

    [Fact]
    public void Kubernetes_peers_report_a_change_only_when_the_peers_change()
    {
        var peers = new KubernetesPeers(new PeerSelector(null, []), "node-0", 9004, 10);
        var changes = 0;
        peers.Changed += (_, _) => changes++;
        var pod = new V1Pod
        {
            Metadata = new() { Name = "fe-1", NamespaceProperty = "fe" },
            Spec = new() { NodeName = "node-1" },
            Status = new() { Phase = "Running", PodIP = "10.0.0.1" },
        };

        peers.Upserted(pod);
        peers.Upserted(pod);
        peers.Upserted(new V1Pod { Metadata = new() { Name = "web", NamespaceProperty = "fe" }, Spec = new() { NodeName = "node-0" }, Status = new() { Phase = "Running", PodIP = "10.0.0.9" } });
        Assert.Equal(1, changes);

        peers.Deleted(pod);
        peers.Deleted(pod);
        Assert.Equal(2, changes);
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

    /// <summary>Node-1's exporter on 9004 with probes on, and the given keys.</summary>
    private static Dictionary<string, string?> Flags(params (string Key, string Value)[] keys)
    {
        var flags = new Dictionary<string, string?> { ["listen"] = "127.0.0.1:9004", ["node"] = "node-1", ["probes:enabled"] = "true" };
        foreach (var (key, value) in keys)
        {
            flags[key] = value;
        }

        return flags;
    }

    private static (ServiceProvider Provider, ConnectionAccounting Accounting) Build(Dictionary<string, string?> flags, KubernetesOptions kubernetes)
    {
        var exporter = ExporterOptions.FromConfiguration(ConfigLoader.Load(null, new Dictionary<string, string>(), flags), "host");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        var accounting = new ConnectionAccounting(exporter, TimeProvider.System);
        services.AddSingleton(accounting);
        services.AddProbes(ProbeOptions.FromConfiguration(exporter.Root.GetSection("probes")), exporter, kubernetes);
        return (services.BuildServiceProvider(), accounting);
    }

    private static Correlator.Decoding.DecodedPacket Tcp(string source, IpAddress destination) =>
        new() { Protocol = 6, Source = IpAddress.Parse(source), Destination = destination };

    /// <summary>One of this machine's addresses, as the filter learns them (loopback is always there).</summary>
    private static IpAddress LocalAddress() => IpAddress.Parse("127.0.0.1");
}
