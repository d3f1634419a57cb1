using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FlowExporter.Capture.Points;
using FlowExporter.Correlator.CapturePoints;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowExporter.Bench;

/// <summary>
/// <c>bench points-latency [LINKS]</c> (root): in a network namespace of its own, creates LINKS veth pairs one at a time
/// and prints the time from starting the <c>ip</c> command that creates and raises a pair to the capture-point
/// manager's open decision for it (rtnetlink watcher -> manager -> opener), median and max. The figure includes
/// spawning <c>ip</c> and its three netlink requests, so it is an upper bound on the exporter's own latency.
/// </summary>
internal static class PointsLatencyBench
{
    public static int Run(int links)
    {
        var ns = $"fxbench-{Environment.ProcessId}";
        Ip("netns", "add", ns);
        try
        {
            return Measure(ns, links);
        }
        finally
        {
            Ip("netns", "del", ns);
        }
    }

    private static int Measure(string ns, int links)
    {
        using var stop = new CancellationTokenSource();
        using var watcher = new RtnetlinkWatcher(OpenIn(ns), TimeProvider.System, NullLogger.Instance);
        var opener = new TimingOpener();
        var manager = new CapturePointManager(CaptureSelectors.Parse(["bp*a"], []), CapturePointPolicy.Default, opener, NullLogger.Instance);
        var watching = watcher.RunAsync(stop.Token);
        var managing = manager.RunAsync(watcher.Updates, stop.Token);
        var latencies = new List<double>(links);
        var batch = Path.GetTempFileName();
        try
        {
            for (var i = 0; i < links; i++)
            {
                File.WriteAllLines(batch, [$"link add bp{i}a type veth peer name bp{i}b", $"link set bp{i}a up", $"link set bp{i}b up"]);
                var started = Stopwatch.GetTimestamp();
                Ip("-n", ns, "-batch", batch);
                if (!opener.WaitFor($"bp{i}a", TimeSpan.FromSeconds(10), out var openedAt))
                {
                    Console.Error.WriteLine($"bp{i}a was not opened within 10 s");
                    return 1;
                }

                latencies.Add(Stopwatch.GetElapsedTime(started, openedAt).TotalMilliseconds);
            }
        }
        finally
        {
            File.Delete(batch);
            stop.Cancel();
            Task.WhenAll(watching, managing).GetAwaiter().GetResult();
        }

        latencies.Sort();
        Console.WriteLine($"points_links: {links}");
        Console.WriteLine($"points_open_latency_median: {latencies[latencies.Count / 2]:0.0} ms");
        Console.WriteLine($"points_open_latency_max: {latencies[^1]:0.0} ms");
        Console.WriteLine($"points_netlink_overruns: {watcher.Overruns}");
        return 0;
    }

    private static NetlinkSocket OpenIn(string ns)
    {
        NetlinkSocket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{ns}");
                if (NetlinkNative.SetNs((int)handle.DangerousGetHandle(), NetlinkNative.CloneNewNet) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns into {ns}");
                }

                socket = RtnetlinkWatcher.OpenSocket();
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"opening rtnetlink in {ns}", failure);
    }

    private static void Ip(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(10_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ip {string.Join(' ', arguments)} did not finish within 10 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {error.GetAwaiter().GetResult().Trim()}");
        }
    }

    /// <summary>Opens nothing; notes when each point's open was decided.</summary>
    private sealed class TimingOpener : ICapturePointOpener
    {
        private readonly Dictionary<string, long> _opened = [];
        private readonly object _gate = new(); // Monitor.Wait/PulseAll: not a System.Threading.Lock

        public ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _opened[point.Name] = now;
                Monitor.PulseAll(_gate);
            }

            return ValueTask.FromResult<ICapturePointHandle>(NoHandle.Instance);
        }

        public bool WaitFor(string name, TimeSpan timeout, out long openedAt)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            lock (_gate)
            {
                while (!_opened.TryGetValue(name, out openedAt))
                {
                    var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                    if (left <= TimeSpan.Zero)
                    {
                        return false;
                    }

                    Monitor.Wait(_gate, left);
                }

                return true;
            }
        }
    }

    private sealed class NoHandle : ICapturePointHandle
    {
        public static readonly NoHandle Instance = new();

        public string Engine => "none";

        public bool IsCapturing => true;

        public string? LastReason => null;

        public long Received => 0;

        public long KernelDropped => 0;

        public long InterfaceDropped => 0;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
