namespace FlowExporter.Tests.Deploy;

/// <summary>prometheus/ checked by the real promtool: configs, rules, and the rules' unit tests.</summary>
public sealed class PrometheusArtifactsTests : IDisposable
{
    // Debian's prometheus package is built without Kubernetes service discovery; its promtool rejects the key.
    private const string MissingKubernetesDiscovery = "field kubernetes_sd_configs not found";

    private readonly string _directory = Directory.CreateTempSubdirectory("fe-promtool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ExternalTool.Result Promtool(params string[] arguments) => ExternalTool.Run("promtool", arguments, RepositoryFiles.PathOf("prometheus"));

    [Fact]
    public void Lab_config_is_valid_and_scrapes_the_lab_exporter()
    {
        var result = Promtool("check", "config", "prometheus-lab.yml");
        Assert.True(result.ExitCode == 0, result.Describe("promtool check config prometheus-lab.yml"));
        Assert.Contains("SUCCESS: 3 rule files found", result.Output + result.Error, StringComparison.Ordinal);
        Assert.Contains("10.99.255.2:9004", File.ReadAllText(RepositoryFiles.PathOf("prometheus", "prometheus-lab.yml")), StringComparison.Ordinal);

        // scripts/lab gives each run a host link of its own and points its copy of this config at that run's exporter.
        Assert.Contains("-e \"s|10.99.255.2:9004|$node_ip:9004|\"", File.ReadAllText(RepositoryFiles.PathOf("scripts", "lab")), StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_config_is_valid()
    {
        var result = Promtool("check", "config", "prometheus.yml");
        if (result.ExitCode == 0)
        {
            return;
        }

        // This promtool cannot parse kubernetes_sd_configs at all: check everything else (relabelling regexes, rule
        // files, limits) with the discovery block swapped for file discovery, and say so if anything else is wrong.
        Assert.True(result.Error.Contains(MissingKubernetesDiscovery, StringComparison.Ordinal) || result.Output.Contains(MissingKubernetesDiscovery, StringComparison.Ordinal), result.Describe("promtool check config prometheus.yml"));
        const string Discovery = "    kubernetes_sd_configs:\n      - role: pod\n        namespaces:\n          names: [flowexporter]\n";
        var text = File.ReadAllText(RepositoryFiles.PathOf("prometheus", "prometheus.yml"));
        Assert.Contains(Discovery, text, StringComparison.Ordinal);
        var copy = Path.Combine(_directory, "prometheus.yml");
        File.WriteAllText(copy, text.Replace(Discovery, "    file_sd_configs:\n      - files: [targets.json]\n", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(_directory, "targets.json"), "[]");
        Directory.CreateDirectory(Path.Combine(_directory, "rules"));
        foreach (var rules in Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "rules"), "*.yml"))
        {
            File.Copy(rules, Path.Combine(_directory, "rules", Path.GetFileName(rules)));
        }

        var swapped = ExternalTool.Run("promtool", ["check", "config", copy], _directory);
        Assert.True(swapped.ExitCode == 0, swapped.Describe("promtool check config (file discovery in place of Kubernetes discovery)"));
    }

    [Fact]
    public void Rules_are_valid()
    {
        var files = Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "rules"), "*.yml").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, files.Length);
        var result = Promtool(["check", "rules", .. files]);
        Assert.True(result.ExitCode == 0, result.Describe("promtool check rules"));
    }

    [Fact]
    public void Rule_unit_tests_pass_and_cover_every_alert()
    {
        var tests = Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "tests"), "*.yml").Order(StringComparer.Ordinal).ToArray();
        var result = Promtool(["test", "rules", .. tests]);
        Assert.True(result.ExitCode == 0, result.Describe("promtool test rules"));

        var alerts = System.Text.RegularExpressions.Regex.Matches(
                string.Concat(Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "rules"), "*.yml").Select(File.ReadAllText)),
                @"^\s*- alert: (\S+)", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value)
            .ToList();
        var testText = string.Concat(tests.Select(File.ReadAllText));
        Assert.NotEmpty(alerts);
        foreach (var alert in alerts)
        {
            // Each alert is tested both firing (exp_alerts with labels) and silent (exp_alerts: []).
            Assert.Matches($@"alertname: {alert}\n\s*exp_alerts: \[\]", testText);
            Assert.Matches($@"alertname: {alert}\n\s*exp_alerts:\n\s*- exp_labels:", testText);
        }

        var records = System.Text.RegularExpressions.Regex.Matches(
                File.ReadAllText(RepositoryFiles.PathOf("prometheus", "rules", "flowexporter-recording.yml")),
                @"^\s*- record: (\S+)", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value);
        Assert.All(records, record => Assert.Contains($"- expr: {record}\n", testText, StringComparison.Ordinal));
    }
}
