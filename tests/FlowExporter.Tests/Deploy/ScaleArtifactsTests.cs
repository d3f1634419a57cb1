using System.Text.RegularExpressions;

namespace FlowExporter.Tests.Deploy;

/// <summary>
/// The scale setup (docs/scale.md): the remote_write configuration and its pre-aggregation rules, checked by the real
/// promtool, and the documented example being the file the simulation runs.
/// </summary>
public sealed class ScaleArtifactsTests
{
    private static ExternalTool.Result Promtool(params string[] arguments) => ExternalTool.Run("promtool", arguments, RepositoryFiles.PathOf("prometheus"));

    private static string ConfigText => File.ReadAllText(RepositoryFiles.PathOf("prometheus", "prometheus-remote-write.yml"));

    private static string[] RuleFiles => Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "remote-write"), "*.yml").Order(StringComparer.Ordinal).ToArray();

    private static IReadOnlyList<string> Records => Regex.Matches(string.Concat(RuleFiles.Select(File.ReadAllText)), @"^\s*- record: (\S+)", RegexOptions.Multiline)
        .Select(m => m.Groups[1].Value)
        .ToList();

    [Fact]
    public void Remote_write_config_and_its_rules_are_valid()
    {
        var config = Promtool("check", "config", "prometheus-remote-write.yml");
        Assert.True(config.ExitCode == 0, config.Describe("promtool check config prometheus-remote-write.yml"));
        Assert.Contains("SUCCESS: 1 rule files found", config.Output + config.Error, StringComparison.Ordinal);
        var rules = Promtool(["check", "rules", .. RuleFiles]);
        Assert.True(rules.ExitCode == 0, rules.Describe("promtool check rules prometheus/remote-write"));
    }

    [Fact]
    public void Every_recording_is_unit_tested_and_is_what_remote_write_keeps()
    {
        var tests = File.ReadAllText(RepositoryFiles.PathOf("prometheus", "tests", "remote-write-test.yml"));
        Assert.NotEmpty(Records);
        Assert.All(Records, record => Assert.Contains($"- expr: {record}\n", tests, StringComparison.Ordinal));

        // Only the recorded series leave the cluster: the keep regex matches every record and no raw series.
        var keep = Regex.Match(ConfigText, "write_relabel_configs:\\n\\s*- source_labels: \\[__name__\\]\\n\\s*regex: \"([^\"]+)\"\\n\\s*action: keep");
        Assert.True(keep.Success, "remote_write keeps series by name");
        var pattern = new Regex($"^(?:{keep.Groups[1].Value})$");
        Assert.All(Records, record => Assert.Matches(pattern, record));
        Assert.DoesNotMatch(pattern, "network_connection_bytes_total");
    }

    [Fact]
    public void The_documented_remote_write_example_is_the_file_the_simulation_runs()
    {
        var config = ConfigText;
        var block = config[config.IndexOf("remote_write:\n", StringComparison.Ordinal)..];
        Assert.Contains(block, File.ReadAllText(RepositoryFiles.PathOf("docs", "scale.md")).ReplaceLineEndings("\n"), StringComparison.Ordinal);

        // bench/scale/run.sh replaces exactly this URL (the store's address) and nothing else.
        var script = File.ReadAllText(RepositoryFiles.PathOf("bench", "scale", "run.sh"));
        var replaced = Regex.Match(script, @"sed ""s\|url: (\S+)\|").Groups[1].Value;
        Assert.Equal("http://victoria-metrics.monitoring.svc:8428/api/v1/write", replaced);
        Assert.Single(Regex.Matches(config, Regex.Escape("url: " + replaced)));
        Assert.Contains("prometheus/prometheus-remote-write.yml >\"$run/prom/prometheus.yml\"", script, StringComparison.Ordinal);
    }
}
