using System.Diagnostics;
using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Support;

/// <summary>
/// The real exporter executable running inside a lab network namespace (as the DaemonSet runs it on a node), scraped
/// with curl from inside the same namespace.
/// </summary>
public sealed class LabExporter : IAsyncDisposable
{
    private LabExporter(string networkNamespace, int port, BackgroundProcess process)
    {
        Namespace = networkNamespace;
        Port = port;
        Process = process;
    }

    public string Namespace { get; }

    public int Port { get; }

    public BackgroundProcess Process { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "flowexporter");

    /// <summary>
    /// Starts the exporter and waits for /readyz (or, with <paramref name="waitReady"/> false, for /healthz); a
    /// <paramref name="launcher"/> (such as setpriv and its options) runs the exporter through it.
    /// </summary>
    /// <param name="listenHost">The address to listen on (127.0.0.1 by default; 0.0.0.0 for peers in other namespaces).</param>
    public static async Task<LabExporter> StartAsync(string networkNamespace, IEnumerable<string> arguments, int port = 9004, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null, bool waitReady = true, string listenHost = "127.0.0.1")
    {
        // The lab tests were written for the libpcap engine (quality, capture counters): they run it unless they name
        // an engine, where the default (auto) would take eBPF as root.
        string[] engine = arguments.Any(a => a == "--engine" || a.StartsWith("--engine=", StringComparison.Ordinal)) ? [] : ["--engine", "libpcap"];
        string[] command = [.. launcher ?? [], Executable, "--listen", $"{listenHost}:{port}", .. engine, .. arguments];
        var process = BackgroundProcess.Start(networkNamespace, command[0], command[1..], environment);
        var exporter = new LabExporter(networkNamespace, port, process);
        try
        {
            await exporter.WaitReadyAsync(TimeSpan.FromSeconds(30), waitReady ? "/readyz" : "/healthz");
            return exporter;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public async Task<string> GetAsync(string path, string? accept = null)
    {
        List<string> args = ["curl", "-sS", "--max-time", "10", "-f"];
        if (accept is not null)
        {
            args.AddRange(["-H", $"Accept: {accept}"]);
        }

        args.Add(BaseUrl + path);
        var result = await OvsLab.ExecAsync(Namespace, args, TimeSpan.FromSeconds(15));
        return result.StandardOutput;
    }

    public async Task<IReadOnlyList<Sample>> ScrapeAsync() => Exposition.Parse(await GetAsync("/metrics"));

    /// <summary>Scrapes until a condition holds on the samples, or fails with the last scrape.</summary>
    public async Task<IReadOnlyList<Sample>> ScrapeUntilAsync(Func<IReadOnlyList<Sample>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<Sample> samples = [];
        while (deadline.Elapsed < timeout)
        {
            samples = await ScrapeAsync();
            if (condition(samples))
            {
                return samples;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:0}s. Last scrape:\n" +
            string.Join('\n', samples.Where(s => s.Name.StartsWith("network_", StringComparison.Ordinal)).Select(s => $"{s.Name} {string.Join(',', s.Labels.Select(l => $"{l.Key}={l.Value}"))} {s.Value.ToString(CultureInfo.InvariantCulture)}")) +
            "\nExporter output:\n" + Process.Output);
    }

    /// <summary>Scrapes until a value has not changed for <paramref name="quiet"/> (traffic over), or fails.</summary>
    /// <summary>
    /// Scrapes until <paramref name="value"/> holds still for <paramref name="quiet"/>. With
    /// <paramref name="keepDeparted"/>, the result also holds every series an earlier scrape of the wait showed and the
    /// last one no longer does, at its last value: a connection that ended leaves the table after the close linger and
    /// is in exactly one more scrape, which a wait longer than the linger may have taken.
    /// </summary>
    public async Task<IReadOnlyList<Sample>> ScrapeUntilQuietAsync(Func<IReadOnlyList<Sample>, double> value, TimeSpan quiet, TimeSpan timeout, bool keepDeparted = false)
    {
        var deadline = Stopwatch.StartNew();
        var unchanged = Stopwatch.StartNew();
        double? last = null;
        var seen = new Dictionary<string, Sample>(StringComparer.Ordinal);
        while (deadline.Elapsed < timeout)
        {
            var samples = await ScrapeAsync();
            foreach (var sample in keepDeparted ? samples : [])
            {
                seen[sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}"] = sample;
            }

            var current = value(keepDeparted ? [.. seen.Values] : samples);
            if (current != last)
            {
                last = current;
                unchanged.Restart();
            }
            else if (unchanged.Elapsed >= quiet)
            {
                return keepDeparted ? [.. seen.Values] : samples;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the value kept changing for {timeout.TotalSeconds:0}s (last {last})");
    }

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();

    private async Task WaitReadyAsync(TimeSpan timeout, string path)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"the exporter exited with {Process.ExitCode}:\n{Process.Output}");
            }

            var result = await OvsLab.ExecAsync(Namespace, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", BaseUrl + path], TimeSpan.FromSeconds(5), check: false);
            if (result.StandardOutput.Trim() == "200")
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"the exporter was not ready within {timeout.TotalSeconds:0}s:\n{Process.Output}");
            }

            await Task.Delay(100);
        }
    }
}
