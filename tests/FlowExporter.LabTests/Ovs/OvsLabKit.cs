using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Ovs;
using FlowExporter.Sources;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.LabTests.Ovs;

/// <summary>One OVS source (either mode) on a lab, with its own health registry, rendered as /metrics would write it.</summary>
internal sealed partial class OvsLabKit : IAsyncDisposable
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private bool _started;

    public OvsLabKit(OvsOptions options)
    {
        Options = options;
        Health = new SourceHealth(Metrics.WithCustomRegistry(_registry));
        Source = options.Mode == OvsMode.Ovsdb
            ? new OvsdbMonitorSource(options, "lab-node", Health, TimeProvider.System, NullLogger<OvsdbMonitorSource>.Instance)
            : new VsctlOvsSource(options, "lab-node", Health, TimeProvider.System, NullLogger<VsctlOvsSource>.Instance);
    }

    public OvsOptions Options { get; }

    public SourceHealth Health { get; }

    public IOvsSource Source { get; }

    public bool IsUp => Health.IsUp(IOvsSource.SourceName);

    /// <summary>The health registry as text (flowexporter_source_up, errors by reason, ...).</summary>
    public async Task<string> HealthTextAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static OvsOptions OptionsFor(string mode, string db) =>
        OvsOptions.Defaults(mode == "ovsdb" ? OvsMode.Ovsdb : OvsMode.Vsctl, db) with
        {
            Timeout = TimeSpan.FromSeconds(2),
            Interval = TimeSpan.FromSeconds(1),
            ProbeInterval = TimeSpan.FromSeconds(2),
            MinBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(1),
        };

    /// <summary>Starts the source's background loop (monitor session, or vsctl polling every interval).</summary>
    public async Task StartAsync()
    {
        await ((IHostedService)Source).StartAsync(CancellationToken.None);
        _started = true;
    }

    /// <summary>
    /// What a scrape shows now. In vsctl mode a collection is run first (as the polling loop would have), so that the
    /// test compares against the database's current state rather than waiting for the next interval.
    /// </summary>
    public async Task<string> ScrapeAsync()
    {
        if (Source is VsctlOvsSource vsctl && !_started)
        {
            await vsctl.CollectOnceAsync(CancellationToken.None);
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Source.Write(new ExpositionWriter(buffer, FlowExporter.Correlator.Exposition.ExpositionFormat.PrometheusText));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Samples of one family as (labels text, value).</summary>
    public static Dictionary<string, ulong> Samples(string exposition, string family)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (Match match in SampleLine().Matches(exposition))
        {
            if (match.Groups[1].Value == family)
            {
                result[match.Groups[2].Value] = ulong.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    /// <summary>The value of <c>family</c> for the interface, or null when that series is absent.</summary>
    public static ulong? Value(string exposition, string family, string interfaceName)
    {
        foreach (var (labels, value) in Samples(exposition, family))
        {
            if (labels.Contains($"interface=\"{interfaceName}\"", StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }

    public static string? Labels(string exposition, string family, string interfaceName) =>
        Samples(exposition, family).Keys.FirstOrDefault(l => l.Contains($"interface=\"{interfaceName}\"", StringComparison.Ordinal));

    /// <summary>Parses <c>ovs-vsctl get Interface PORT statistics</c> output: <c>{collisions=0, rx_bytes=1026, ...}</c>.</summary>
    public static Dictionary<string, ulong> ParseStatistics(string text)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (Match match in StatisticsPair().Matches(text))
        {
            result[match.Groups[1].Value] = ulong.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return result;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string> what)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out after {deadline.TotalSeconds:0.#}s waiting for {what()}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await ((IHostedService)Source).StopAsync(CancellationToken.None);
        }

        (Source as IDisposable)?.Dispose();
    }

    [GeneratedRegex("^([a-z_]+)\\{([^}]*)\\} (\\d+)$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex SampleLine();

    [GeneratedRegex("\"?([a-z0-9_]+)\"?=(\\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex StatisticsPair();
}
