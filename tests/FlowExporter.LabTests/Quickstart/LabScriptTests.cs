using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>The README's first quick-start command, in its bounded mode, as a new user would run it.</summary>
public sealed class LabScriptTests
{
    [Fact]
    public async Task The_lab_reaches_ready_and_its_printed_query_returns_non_zero_rates_then_cleans_up()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "curl", "prometheus", "snmpd");
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlowExporter.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (FlowExporter.sln) was not found");
        }

        var result = await ProcessRunner.RunAsync(
            Path.Combine(root, "scripts", "lab"),
            ["--check"],
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string?> { ["LAB_EXPORTER_EXECUTABLE"] = Path.Combine(AppContext.BaseDirectory, "flowexporter") });
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("ready.", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("lab: check: the rate() query returns non-zero rates", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"target_port\":\"5201\"", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("lab: done", result.StandardOutput, StringComparison.Ordinal);
        var suffix = System.Text.RegularExpressions.Regex.Match(result.StandardOutput, "node namespace (fe-node-[0-9a-f]+)").Groups[1].Value;
        Assert.NotEmpty(suffix);
        var after = (await ProcessRunner.CheckAsync("ip", ["netns", "list"])).StandardOutput;
        Assert.DoesNotContain(suffix, after, StringComparison.Ordinal);
    }
}
