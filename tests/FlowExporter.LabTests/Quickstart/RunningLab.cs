using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>
/// scripts/lab running (bounded by --duration) for a test class: the namespaces it made and its Prometheus, read from
/// the "lab: names" line it prints. Stopped with SIGINT, as Ctrl-C would, which tears everything down.
/// </summary>
public sealed class RunningLab : IAsyncLifetime
{
    private BackgroundProcess? _script;
    private Dictionary<string, string> _names = [];

    public PrometheusApi Prometheus { get; private set; } = null!;

    /// <summary>The node namespace (Open vSwitch, the exporter, the API stand-in).</summary>
    public string Node => _names["node"];

    /// <summary>The switch namespace (Linux bridge swbr, snmpd).</summary>
    public string Switch => _names["switch"];

    /// <summary>The host behind the switch (10.99.0.100).</summary>
    public string External => _names["external"];

    public string Output => _script?.Output ?? string.Empty;

    /// <summary>The network namespace of a lab pod (web-0, db-0, client-0).</summary>
    public string PodNamespace(string pod) => _names[pod];

    public async Task InitializeAsync()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "curl", "prometheus", "snmpd", "tc");
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlowExporter.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (FlowExporter.sln) was not found");
        }

        _script = BackgroundProcess.Start(
            null,
            Path.Combine(root, "scripts", "lab"),
            ["--duration", "1500"],
            new Dictionary<string, string>
            {
                ["LAB_EXPORTER_EXECUTABLE"] = Path.Combine(AppContext.BaseDirectory, "flowexporter"),
                ["LAB_STANDIN_EXECUTABLE"] = Path.Combine(AppContext.BaseDirectory, "kube-api-standin"),
            });
        await _script.WaitForOutputAsync("  ready.", TimeSpan.FromMinutes(4));
        var line = _script.Output.Split('\n').First(l => l.StartsWith("lab: names ", StringComparison.Ordinal));
        _names = line["lab: names ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
        Prometheus = new PrometheusApi(new Uri("http://" + _names["prometheus"]));
    }

    public async Task DisposeAsync()
    {
        Prometheus?.Dispose();
        if (_script is null)
        {
            return;
        }

        var stopped = await _script.StopAsync(TimeSpan.FromSeconds(90), interrupt: true);
        var output = _script.Output;
        await _script.DisposeAsync();
        if (_names.TryGetValue("node", out var node))
        {
            // Ctrl-C (SIGINT) must leave nothing behind: the run's namespaces share the node namespace's suffix.
            var suffix = node["fe-node-".Length..];
            var left = (await ProcessRunner.CheckAsync("ip", ["netns", "list"])).StandardOutput;
            if (!stopped || !output.Contains("lab: done", StringComparison.Ordinal) || left.Contains(suffix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"scripts/lab did not tear down cleanly on SIGINT (stopped in time: {stopped}); namespaces:\n{left}\n{output}");
            }
        }
    }
}
