using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Ovs;
using FlowExporter.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.Tests.Ovs;

/// <summary>A source under test with its own metrics registry, so health series can be read back exactly.</summary>
internal sealed class OvsTestKit
{
    public OvsTestKit()
    {
        Registry = Metrics.NewCustomRegistry();
        Health = new SourceHealth(Metrics.WithCustomRegistry(Registry));
    }

    public CollectorRegistry Registry { get; }

    public SourceHealth Health { get; }

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "ovs", name);

    public VsctlOvsSource Vsctl(OvsOptions options) =>
        new(options, "node-1", Health, TimeProvider.System, NullLogger<VsctlOvsSource>.Instance);

    public OvsdbMonitorSource Monitor(OvsOptions options) =>
        new(options, "node-1", Health, TimeProvider.System, NullLogger<OvsdbMonitorSource>.Instance);

    public bool IsUp => Health.IsUp(IOvsSource.SourceName);

    public async Task<string> HealthTextAsync()
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The failure count for a reason, from flowexporter_source_errors_total{source="ovs",reason}.</summary>
    public async Task<double> ErrorsAsync(string reason)
    {
        var prefix = $"flowexporter_source_errors_total{{source=\"ovs\",reason=\"{reason}\"}} ";
        var line = (await HealthTextAsync()).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string Render(IMetricsContributor source)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        source.Write(new ExpositionWriter(buffer, FlowExporter.Correlator.Exposition.ExpositionFormat.PrometheusText));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Polls a condition until it holds or the deadline passes (then fails with the message).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out after {deadline.TotalSeconds:0.#}s waiting for {what}");
            }

            await Task.Delay(20);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan deadline, string what) =>
        WaitUntilAsync(() => Task.FromResult(condition()), deadline, what);
}
