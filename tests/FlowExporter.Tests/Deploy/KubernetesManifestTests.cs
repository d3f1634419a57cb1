using k8s;
using k8s.Models;

namespace FlowExporter.Tests.Deploy;

/// <summary>deploy/k8s rendered by the real kustomize (kubectl kustomize), read strictly into the client's typed models.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly Lazy<IReadOnlyList<object>> Objects = new(Render);

    internal static IReadOnlyList<object> Rendered => Objects.Value;

    private static List<object> Render()
    {
        var result = ExternalTool.Run("kubectl", ["kustomize", "deploy/k8s"]);
        Assert.True(result.ExitCode == 0, result.Describe("kubectl kustomize deploy/k8s"));

        // strict: a field the typed model does not know (a typo, a wrong indentation level) is an error.
        return KubernetesYaml.LoadAllFromString(result.Output, strict: true);
    }

    private static T Single<T>() => Assert.Single(Rendered.OfType<T>());

    private static V1Container Exporter => Assert.Single(Single<V1DaemonSet>().Spec.Template.Spec.Containers);

    [Fact]
    public void Strict_reading_rejects_unknown_fields()
    {
        const string Correct = "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIP: None}\n";
        Assert.Equal("None", Assert.IsType<V1Service>(Assert.Single(KubernetesYaml.LoadAllFromString(Correct, strict: true))).Spec.ClusterIP);
        var typo = Correct.Replace("clusterIP", "clusterIp", StringComparison.Ordinal);
        var error = Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(typo, strict: true));
        Assert.Contains("clusterIp", error.Message + error.InnerException?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renders_every_object_in_the_flowexporter_namespace()
    {
        Assert.Equal(
            ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Namespace", "Secret", "Service", "ServiceAccount"],
            Rendered.Select(o => ((IKubernetesObject)o).Kind).Order(StringComparer.Ordinal));
        Assert.Equal("flowexporter", Single<V1Namespace>().Metadata.Name);
        foreach (var namespaced in Rendered.OfType<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace and not V1ClusterRole and not V1ClusterRoleBinding))
        {
            Assert.Equal("flowexporter", namespaced.Metadata.NamespaceProperty);
        }
    }

    [Fact]
    public void Rbac_is_read_only_on_what_the_metadata_source_watches()
    {
        var role = Single<V1ClusterRole>();
        Assert.All(role.Rules, rule => Assert.Equal(["get", "list", "watch"], rule.Verbs.Order(StringComparer.Ordinal)));
        var granted = role.Rules
            .SelectMany(rule => rule.ApiGroups.SelectMany(group => rule.Resources.Select(resource => $"{group}/{resource}")))
            .Order(StringComparer.Ordinal);
        Assert.Equal(["/pods", "/services", "apps/replicasets", "batch/jobs"], granted);

        var binding = Single<V1ClusterRoleBinding>();
        Assert.Equal(("ClusterRole", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        var account = Single<V1ServiceAccount>();
        Assert.Equal(("ServiceAccount", account.Metadata.Name, "flowexporter"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal(account.Metadata.Name, Single<V1DaemonSet>().Spec.Template.Spec.ServiceAccountName);
    }

    [Fact]
    public void DaemonSet_runs_on_every_node_in_the_host_network()
    {
        var pod = Single<V1DaemonSet>().Spec.Template.Spec;
        Assert.True(pod.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", pod.DnsPolicy);
        var toleration = Assert.Single(pod.Tolerations);
        Assert.Equal("Exists", toleration.OperatorProperty);
        Assert.Null(toleration.Key);
        Assert.Null(toleration.Effect);
        Assert.Null(pod.NodeSelector);
        Assert.Null(pod.Affinity);

        var nodeName = Assert.Single(Exporter.Env, e => e.Name == "NODE_NAME");
        Assert.Equal("spec.nodeName", nodeName.ValueFrom.FieldRef.FieldPath);
    }

    [Fact]
    public void The_image_is_the_one_scripts_image_builds_and_tags_the_project_version()
    {
        var built = ExternalTool.Run("bash", ["scripts/image", "--print-reference"]);
        Assert.True(built.ExitCode == 0, built.Describe("scripts/image --print-reference"));
        Assert.Equal("ghcr.io/flowexporter/flowexporter:0.1.0", built.Output.Trim());
        Assert.Equal(built.Output.Trim(), Exporter.Image);

        // kubectl apply -f reads the DaemonSet file as it is: it names the same image.
        var raw = File.ReadAllText(RepositoryFiles.PathOf("deploy", "k8s", "06-daemonset.yaml"));
        Assert.Contains($"image: {Exporter.Image}\n", raw, StringComparison.Ordinal);

        var props = File.ReadAllText(RepositoryFiles.PathOf("Directory.Build.props"));
        Assert.Contains($"<Version>{Exporter.Image.Split(':')[^1]}</Version>", props, StringComparison.Ordinal);
    }

    [Fact]
    public void DaemonSet_is_not_privileged_and_keeps_only_NET_RAW_NET_ADMIN_and_the_eBPF_engines_BPF_and_PERFMON()
    {
        var security = Exporter.SecurityContext;
        Assert.False(security.Privileged);
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.True(security.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.Equal(["NET_RAW", "NET_ADMIN", "BPF", "PERFMON"], security.Capabilities.Add);

        // UID 0 over the image's non-root default: the host's OVS socket is root's, mode 0750 (docs/deploy.md).
        Assert.Contains("\nUSER 65532:65532\n", File.ReadAllText(RepositoryFiles.PathOf("Containerfile")), StringComparison.Ordinal);
        var podSecurity = Single<V1DaemonSet>().Spec.Template.Spec.SecurityContext;
        Assert.Equal(0, security.RunAsUser ?? podSecurity.RunAsUser);
        Assert.False(podSecurity.RunAsNonRoot ?? false);
        Assert.Equal("RuntimeDefault", podSecurity.SeccompProfile.Type);
    }

    [Fact]
    public void The_OVS_socket_directory_is_mounted_read_only_from_the_host()
    {
        var pod = Single<V1DaemonSet>().Spec.Template.Spec;
        var mount = Assert.Single(Exporter.VolumeMounts, m => m.MountPath == "/var/run/openvswitch");
        Assert.True(mount.ReadOnlyProperty);
        var volume = Assert.Single(pod.Volumes, v => v.Name == mount.Name);
        Assert.Equal("/var/run/openvswitch", volume.HostPath.Path);
        Assert.All(Exporter.VolumeMounts.Where(m => m.MountPath != "/tmp"), m => Assert.True(m.ReadOnlyProperty, m.MountPath));
    }

    [Fact]
    public void The_SNMP_secret_is_mounted_as_the_files_the_config_names()
    {
        var pod = Single<V1DaemonSet>().Spec.Template.Spec;
        var secret = Single<V1Secret>();
        var volume = Assert.Single(pod.Volumes, v => v.Secret is not null);
        Assert.Equal(secret.Metadata.Name, volume.Secret.SecretName);
        var mount = Assert.Single(Exporter.VolumeMounts, m => m.Name == volume.Name);
        Assert.Equal("/etc/flowexporter/snmp", mount.MountPath);

        var config = Single<V1ConfigMap>().Data["config.yaml"];
        Assert.Contains("community_file: /etc/flowexporter/snmp/tor-1-community", config, StringComparison.Ordinal);
        Assert.Contains("tor-1-community", secret.StringData.Keys);
        Assert.All(secret.StringData.Values, value => Assert.StartsWith("CHANGE-ME", value, StringComparison.Ordinal));
    }

    [Fact]
    public void Resources_probes_and_scrape_annotations()
    {
        Assert.NotNull(Exporter.Resources.Requests["cpu"]);
        Assert.NotNull(Exporter.Resources.Requests["memory"]);
        Assert.NotNull(Exporter.Resources.Limits["cpu"]);
        Assert.NotNull(Exporter.Resources.Limits["memory"]);

        Assert.Equal(("/healthz", "9004"), (Exporter.LivenessProbe.HttpGet.Path, Exporter.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(("/readyz", "9004"), (Exporter.ReadinessProbe.HttpGet.Path, Exporter.ReadinessProbe.HttpGet.Port.Value));

        var annotations = Single<V1DaemonSet>().Spec.Template.Metadata.Annotations;
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal("9004", annotations["prometheus.io/port"]);

        var config = Single<V1ConfigMap>().Data["config.yaml"];
        Assert.Contains("listen: 0.0.0.0:9004", config, StringComparison.Ordinal);
        var mount = Assert.Single(Exporter.VolumeMounts, m => m.MountPath == "/etc/flowexporter/config.yaml");
        Assert.Equal("config.yaml", mount.SubPath);
        Assert.Equal(["--config", "/etc/flowexporter/config.yaml"], Exporter.Args);
    }

    [Fact]
    public void Headless_service_with_a_metrics_port()
    {
        var service = Single<V1Service>();
        Assert.Equal("None", service.Spec.ClusterIP);
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal(("metrics", 9004), (port.Name, port.Port));
        Assert.Equal(Single<V1DaemonSet>().Spec.Template.Metadata.Labels, service.Spec.Selector);
        Assert.Contains(Exporter.Ports, p => p.Name == "metrics" && p.ContainerPort == 9004);
    }
}
