using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Scale;

/// <summary>
/// The scale simulation (bench/scale/run.sh) at N=2, briefly: two replaying exporters, the real Prometheus running the
/// shipped prometheus/prometheus-remote-write.yml, and a real VictoriaMetrics receiving its remote_write.
/// </summary>
[Trait("Category", "Lab")]
public sealed class ScaleSimulationTests
{
    [Fact]
    public async Task The_workload_pair_recordings_and_nothing_else_reach_the_long_term_store()
    {
        LabPrerequisites.Require("prometheus", "victoria-metrics", "curl", "ss");
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlowExporter.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (FlowExporter.sln) was not found");
        }

        var result = await ProcessRunner.RunAsync(
            Path.Combine(root, "bench", "scale", "run.sh"),
            ["--nodes", "2", "--pods-per-node", "30", "--measure", "5", "--check"],
            TimeSpan.FromMinutes(8),
            new Dictionary<string, string?>
            {
                ["SCALE_EXPORTER"] = Path.Combine(AppContext.BaseDirectory, "flowexporter"),
                ["SCALE_BENCH"] = Path.Combine(AppContext.BaseDirectory, "FlowExporter.Bench"),
            });
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);

        // 2 nodes x 30 pods = 60 pods in 12 workloads of 5 replicas; each workload calls 3 others: 36 workload pairs,
        // each recorded for 2 directions x (bytes, packets) = 144 series in the store, and no other series.
        Assert.Contains("scale: check: N=2: the store holds 144 series, all 144 of them workload-pair recordings (expected 144)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("scale: done", result.StandardOutput, StringComparison.Ordinal);

        // Everything it started is gone with its folder.
        var work = System.Text.RegularExpressions.Regex.Match(result.StandardOutput, "scale: work folder (/tmp/fe-scale-[A-Za-z0-9]+)").Groups[1].Value;
        Assert.NotEmpty(work);
        Assert.False(Directory.Exists(work), $"{work} was not removed");
        var left = await ProcessRunner.RunAsync("pgrep", ["-f", work]);
        Assert.True(left.ExitCode == 1, $"processes left running: {left.StandardOutput}");
    }
}
