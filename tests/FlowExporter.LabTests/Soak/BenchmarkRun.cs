using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Soak;

/// <summary>
/// One run of <c>bench/soak/run.sh</c> in a bounded mode: the "name: value" figures it printed (a name may repeat) and
/// its output directory, deleted on disposal.
/// </summary>
public sealed class BenchmarkRun : IDisposable
{
    private BenchmarkRun(string directory, ILookup<string, string> figures, string output)
    {
        Directory = directory;
        Figures = figures;
        Output = output;
    }

    public string Directory { get; }

    public ILookup<string, string> Figures { get; }

    /// <summary>Everything the script printed, for failure messages.</summary>
    public string Output { get; }

    public static async Task<BenchmarkRun> RunAsync(string mode, IReadOnlyList<string> options, TimeSpan timeout)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"soak-{mode}-{Guid.NewGuid():N}"[..20]);
        var result = await ProcessRunner.RunAsync(
            Path.Combine(RepositoryRoot(), "bench", "soak", "run.sh"),
            [mode, .. options, "--exporter", Path.Combine(AppContext.BaseDirectory, "flowexporter"), "--out", directory],
            timeout);
        var output = result.StandardOutput + result.StandardError;
        if (!result.Succeeded)
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException($"bench/soak/run.sh {mode} exited with {result.ExitCode}:\n{output}");
        }

        var figures = File.ReadAllLines(Path.Combine(directory, "figures.txt"))
            .Select(line => line.Split(": ", 2))
            .Where(parts => parts.Length == 2)
            .ToLookup(parts => parts[0], parts => parts[1]);
        return new BenchmarkRun(directory, figures, output);
    }

    public string Figure(string name) =>
        Figures[name].SingleOrDefault() ?? throw new InvalidOperationException($"the run printed no '{name}':\n{Output}");

    public long Number(string name) => long.Parse(Figure(name).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlowExporter.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (FlowExporter.sln) was not found");
        }

        return root;
    }
}
