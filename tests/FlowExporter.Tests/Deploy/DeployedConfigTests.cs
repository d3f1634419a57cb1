using FlowExporter.Configuration;
using FlowExporter.Endpoints;
using FlowExporter.Kubernetes;
using FlowExporter.Ovs;
using FlowExporter.Probes;
using FlowExporter.Snmp;
using k8s.Models;

namespace FlowExporter.Tests.Deploy;

/// <summary>The ConfigMap's config file is one the exporter accepts, with the environment the DaemonSet gives it.</summary>
public sealed class DeployedConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-deploy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_ConfigMap_config_loads_and_every_source_section_validates()
    {
        var objects = KubernetesManifestTests.Rendered;
        var configFile = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(configFile, Assert.Single(objects.OfType<V1ConfigMap>()).Data["config.yaml"]);

        // The Secret's files as the pod sees them, here under a temporary folder instead of /etc/flowexporter/snmp.
        var secret = Assert.Single(objects.OfType<V1Secret>());
        foreach (var (name, value) in secret.StringData)
        {
            File.WriteAllText(Path.Combine(_directory, name), value + "\n");
        }

        var environment = new Dictionary<string, string?>
        {
            ["NODE_NAME"] = "worker-7",
            ["FLOWEXPORTER_SNMP__TARGETS__0__COMMUNITY_FILE"] = Path.Combine(_directory, "tor-1-community"),
        };
        var options = ExporterOptions.FromConfiguration(ConfigLoader.Load(configFile, environment, new Dictionary<string, string?>()), "host-1");

        Assert.Equal("worker-7", options.Node);
        Assert.Equal(9004, options.Listen.Port);
        Assert.True(options.Capture.Enabled);
        Assert.False(options.Capture.Promiscuous);
        Assert.Equal(["ovs_pod_ports", "uplinks"], options.Capture.Discover); // no node-specific interface name
        Assert.Empty(options.Capture.Interfaces);
        Assert.True(options.Quality.Enabled);
        Assert.Equal(20_000, options.Quality.MaxSeries); // sized to the DaemonSet's memory limit (docs/deploy.md)

        var ovs = OvsOptions.FromConfiguration(options.Root.GetSection("ovs"));
        Assert.NotNull(ovs);
        Assert.Equal(OvsMode.Ovsdb, ovs.Mode);

        var snmp = SnmpOptions.FromConfiguration(options.Root.GetSection("snmp"), _ => null);
        var target = Assert.Single(snmp.Targets);
        Assert.Equal("tor-1", target.Name);

        KubernetesOptions.FromConfiguration(options.Root.GetSection("kubernetes"), _ => null);
        EndpointsFileOptions.FromConfiguration(options.Root);
    }

    [Fact]
    public void Probes_are_on_and_select_exactly_the_DaemonSets_own_pods()
    {
        var objects = KubernetesManifestTests.Rendered;
        var configFile = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(configFile, Assert.Single(objects.OfType<V1ConfigMap>()).Data["config.yaml"]);
        var options = ExporterOptions.FromConfiguration(ConfigLoader.Load(configFile, new Dictionary<string, string?>(), new Dictionary<string, string?>()), "host-1");
        var daemonSet = Assert.Single(objects.OfType<V1DaemonSet>());

        var probes = ProbeOptions.FromConfiguration(options.Root.GetSection("probes")).WithDefaultPort(options.Listen.Port);

        Assert.True(probes.Enabled);
        Assert.False(probes.IncludeTraffic);
        Assert.True(probes.Timeout < probes.Interval);
        Assert.Equal(daemonSet.Spec.Template.Spec.Containers[0].Ports.Single(p => p.Name == "metrics").ContainerPort, probes.Port);
        Assert.Equal(daemonSet.Spec.Template.Spec.Containers[0].LivenessProbe.HttpGet.Path, probes.HttpPath);
        var selector = Assert.IsType<PeerSelector>(probes.Kubernetes);
        Assert.True(selector.Matches(daemonSet.Metadata.NamespaceProperty, daemonSet.Spec.Template.Metadata.Labels));
        Assert.False(selector.Matches("default", daemonSet.Spec.Template.Metadata.Labels));
        Assert.False(selector.Matches(daemonSet.Metadata.NamespaceProperty, new Dictionary<string, string> { ["app"] = "web" }));

        // The pods are listed by the ClusterRole's existing grant; nothing new is needed.
        var role = Assert.Single(objects.OfType<V1ClusterRole>());
        Assert.Contains(role.Rules, r => r.ApiGroups.Contains("") && r.Resources.Contains("pods") && r.Verbs.Contains("list") && r.Verbs.Contains("watch"));
    }

    [Fact]
    public void The_ConfigMap_names_the_secret_files_where_the_DaemonSet_mounts_them()
    {
        var objects = KubernetesManifestTests.Rendered;
        var config = Assert.Single(objects.OfType<V1ConfigMap>()).Data["config.yaml"];
        var secret = Assert.Single(objects.OfType<V1Secret>());
        var referenced = System.Text.RegularExpressions.Regex.Matches(config, @"_file:\s*/etc/flowexporter/snmp/(\S+)")
            .Select(m => m.Groups[1].Value)
            .ToList();
        Assert.NotEmpty(referenced);
        Assert.All(referenced, name => Assert.Contains(name, secret.StringData.Keys));
    }
}
