using FlowExporter.LabTests.Lab;
using YamlDotNet.Serialization;

namespace FlowExporter.LabTests.Image;

/// <summary>
/// The ConfigMap's config.yaml (deploy/k8s/04-configmap.yaml) and the SNMP Secret's files as the DaemonSet mounts
/// them, written to a lab directory; only the capture points (the lab's interface instead of discovery: the lab's
/// host has other OVS pod ports and uplinks) and the peer probes (off) are changed; for the eBPF engine, the capture
/// filter line goes (the ConfigMap's comment says to drop it to count in the kernel) and the engine is named.
/// </summary>
public static class DeployedConfig
{
    public static async Task<(string ConfigFile, string SnmpDirectory)> WriteAsync(string repositoryRoot, string directory, string captureInterface, bool ebpf = false)
    {
        var manifest = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
            File.ReadAllText(Path.Combine(repositoryRoot, "deploy", "k8s", "04-configmap.yaml")));
        var data = (Dictionary<object, object>)manifest["data"];
        var config = (string)data["config.yaml"];
        const string Placeholder = "discover: [ovs_pod_ports, uplinks]";
        Assert.Contains(Placeholder, config, StringComparison.Ordinal);
        // Peer probes find their peers through the Kubernetes source, which needs an API server: off in the lab.
        const string Probes = "probes:\n  enabled: true\n";
        Assert.Contains(Probes, config, StringComparison.Ordinal);
        const string Engine = "engine: auto\n";
        const string Filter = "bpf: \"not (tcp port 9004 or tcp port 6443)\"\n";
        Assert.Contains(Engine, config, StringComparison.Ordinal);
        Assert.Contains(Filter, config, StringComparison.Ordinal);
        if (ebpf)
        {
            config = config
                .Replace(Engine, "engine: ebpf\n", StringComparison.Ordinal)
                .Replace(Filter, "\n", StringComparison.Ordinal);
        }

        var configFile = Path.Combine(directory, "config.yaml");
        File.WriteAllText(configFile, config
            .Replace(Placeholder, $"interfaces: [{captureInterface}]", StringComparison.Ordinal)
            .Replace(Probes, "probes:\n  enabled: false\n", StringComparison.Ordinal));
        await ProcessRunner.CheckAsync("chmod", ["0644", configFile]);

        // The Secret volume: defaultMode 0440 and the pod's fsGroup 65532, as kubelet writes it.
        var snmp = Directory.CreateDirectory(Path.Combine(directory, "snmp")).FullName;
        var community = Path.Combine(snmp, "tor-1-community");
        File.WriteAllText(community, "lab-community");
        await ProcessRunner.CheckAsync("chmod", ["0440", community]);
        await ProcessRunner.CheckAsync("chown", [$"0:{ImageUser.Gid}", community]);
        await ProcessRunner.CheckAsync("chmod", ["0755", snmp]);
        return (configFile, snmp);
    }
}
