using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Support;

/// <summary>A real Prometheus server (Debian's package) running inside a lab namespace, queried over its HTTP API.</summary>
public sealed class LabPrometheus : IAsyncDisposable
{
    private LabPrometheus(string networkNamespace, int port, BackgroundProcess process)
    {
        Namespace = networkNamespace;
        Port = port;
        Process = process;
    }

    public string Namespace { get; }

    public int Port { get; }

    public BackgroundProcess Process { get; }

    public static async Task<LabPrometheus> StartAsync(string networkNamespace, string directory, string scrapeConfigs, int port = 19090, string extraYaml = "")
    {
        LabPrerequisites.Require("prometheus");
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
            {scrapeConfigs}
            {extraYaml}
            """);
        var process = BackgroundProcess.Start(
            networkNamespace,
            "prometheus",
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}"]);
        var prometheus = new LabPrometheus(networkNamespace, port, process);
        try
        {
            await process.WaitForOutputAsync("Server is ready to receive web requests", TimeSpan.FromSeconds(60));
            return prometheus;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>An instant query; returns each result's labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var result = await OvsLab.ExecAsync(
            Namespace,
            ["curl", "-sS", "--max-time", "10", $"http://127.0.0.1:{Port}/api/v1/query", "--data-urlencode", $"query={promql}"],
            TimeSpan.FromSeconds(15));
        using var document = JsonDocument.Parse(result.StandardOutput);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"query failed: {promql}: {result.StandardOutput}");
        }

        var list = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var item in root.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty);
            var value = double.Parse(item.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            list.Add((labels, value));
        }

        return list;
    }

    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryUntilAsync(
        string promql, Func<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<(IReadOnlyDictionary<string, string>, double)> last = [];
        while (deadline.Elapsed < timeout)
        {
            last = await QueryAsync(promql);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"'{promql}' did not meet the condition within {timeout.TotalSeconds:0}s; last: " +
            string.Join("; ", last.Select(r => $"{string.Join(',', r.Item1.Select(l => $"{l.Key}={l.Value}"))} {r.Item2}")));
    }

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();
}
