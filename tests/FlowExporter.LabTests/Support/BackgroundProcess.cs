using System.Diagnostics;
using System.Text;

namespace FlowExporter.LabTests.Support;

/// <summary>
/// A long-running process of a lab test (exporter, tcpdump, iperf3 server, Prometheus), optionally inside a network
/// namespace, with its output kept (capped) for diagnostics and a bounded stop: SIGTERM, then a kill.
/// </summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private const int MaxKeptChars = 1 << 20;
    private static readonly TimeSpan OutputDrainGrace = TimeSpan.FromSeconds(5);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private BackgroundProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static BackgroundProcess Start(string? networkNamespace, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(networkNamespace is null ? file : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (networkNamespace is not null)
        {
            foreach (var part in new[] { "netns", "exec", networkNamespace, file })
            {
                start.ArgumentList.Add(part);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var background = new BackgroundProcess(process);
        process.OutputDataReceived += (_, e) => background.Append(e.Data);
        process.ErrorDataReceived += (_, e) => background.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return background;
    }

    /// <summary>Waits until the output contains a text (or the process exits, or the deadline passes).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"process exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"no '{text}' within {timeout.TotalSeconds:0}s:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the process to exit and its output to be read to the end; false if it is still running.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // With asynchronous output reading, this also waits for both streams to reach their end.
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends SIGTERM (or SIGINT) and waits up to <paramref name="timeout"/> for the process to exit, then kills its tree;
    /// returns whether it exited in time. Every wait is bounded: a grandchild that inherited the output pipes and lives
    /// on must not hang the test (the output read to the end is waited for only a little while).
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan timeout, bool interrupt = false)
    {
        if (!HasExited)
        {
            // "ip netns exec" replaces itself with the command (execvp), so the signal reaches the command itself.
            await ProcessRunnerSignals.SendAsync(_process.Id, interrupt ? "INT" : "TERM");
        }

        var exited = await ExitedWithinAsync(timeout);
        if (!exited)
        {
            _process.Kill(entireProcessTree: true);
            await ExitedWithinAsync(TimeSpan.FromSeconds(10));
        }

        await WaitForExitAsync(OutputDrainGrace);
        return exited;
    }

    /// <summary>Polls the exit itself (<see cref="Process.WaitForExitAsync"/> also waits for the output pipes to close).</summary>
    private async Task<bool> ExitedWithinAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!_process.HasExited)
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await StopAsync(TimeSpan.FromSeconds(5));
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_output.Length < MaxKeptChars)
            {
                _output.AppendLine(line);
            }
        }
    }
}
