namespace FlowExporter.Tests.Deploy;

/// <summary>deploy/k8s-extras: separate from deploy/k8s, rendered by kustomize, and equal to the prometheus/ sources.</summary>
public sealed class KubernetesExtrasTests
{
    [Fact]
    public void Extras_render_and_are_not_part_of_the_plain_manifests()
    {
        var result = ExternalTool.Run("kubectl", ["kustomize", "deploy/k8s-extras"]);
        Assert.True(result.ExitCode == 0, result.Describe("kubectl kustomize deploy/k8s-extras"));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(result.Output, "^kind: (PodMonitor|PrometheusRule|ConfigMap)$", System.Text.RegularExpressions.RegexOptions.Multiline));
        Assert.Contains("grafana_dashboard: \"1\"", result.Output, StringComparison.Ordinal);

        var plain = string.Concat(Directory.GetFiles(RepositoryFiles.PathOf("deploy", "k8s")).Select(File.ReadAllText));
        Assert.DoesNotContain("k8s-extras", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("monitoring.coreos.com", plain, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(RepositoryFiles.PathOf("deploy", "k8s"), "kustomization.y*ml"));
    }

    [Fact]
    public void PrometheusRule_holds_exactly_the_rules_of_prometheus_rules()
    {
        var groups = string.Concat(Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "rules"), "*.yml")
            .Order(StringComparer.Ordinal)
            .Select(file => Indent(AfterGroupsKey(File.ReadAllText(file)), 2)));
        var extras = File.ReadAllText(RepositoryFiles.PathOf("deploy", "k8s-extras", "prometheusrule.yaml"));
        Assert.EndsWith("spec:\n  groups:\n" + groups, extras, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboard_ConfigMap_holds_exactly_the_dashboard()
    {
        var dashboard = File.ReadAllText(RepositoryFiles.PathOf("prometheus", "grafana", "flowexporter.json")).TrimEnd('\n') + "\n";
        var extras = File.ReadAllText(RepositoryFiles.PathOf("deploy", "k8s-extras", "grafana-dashboard.yaml"));
        Assert.EndsWith("data:\n  flowexporter.json: |\n" + Indent(dashboard, 4), extras, StringComparison.Ordinal);
    }

    private static string AfterGroupsKey(string rules) => rules[(rules.IndexOf("\ngroups:\n", StringComparison.Ordinal) + "\ngroups:\n".Length)..];

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(line => line.Length > 0 ? new string(' ', spaces) + line : line));
}
