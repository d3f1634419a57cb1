using System.Buffers;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Sources;
using Prometheus;
using OurFormat = FlowExporter.Correlator.Exposition.ExpositionFormat;

namespace FlowExporter.Http;

/// <summary>
/// The single seam between prometheus-net and our own writers: one scrape is the exporter's own registry (health,
/// build info, process) as prometheus-net serialises it, followed by every source's families written from its last
/// snapshot. Both text formats are supported; OpenMetrics ends with one <c># EOF</c>.
/// </summary>
/// <remarks>
/// Each contributor renders inside its own guard: one that throws has what it wrote so far rewound, is left out of
/// this scrape, is counted (<c>flowexporter_scrape_collector_success{collector}</c> 0 in this scrape,
/// <c>flowexporter_scrape_collector_errors_total</c>) and logged at a bounded rate; the rest of the page is intact.
/// </remarks>
public sealed partial class MetricsExposition
{
    private static readonly byte[] OpenMetricsEof = "# EOF\n"u8.ToArray();

    private static readonly MetricFamily Success = new(
        "flowexporter_scrape_collector_success",
        MetricType.Gauge,
        "1 when the collector's families are in this scrape, 0 when it failed while writing them and was left out.");

    private static readonly MetricFamily Errors = new(
        "flowexporter_scrape_collector_errors_total",
        MetricType.Counter,
        "Scrapes a collector failed while writing its families (each time left out of that scrape).");

    private readonly CollectorRegistry _registry;
    private readonly IMetricsContributor[] _contributors;
    private readonly string[] _names;
    private readonly long[] _errors;
    private readonly ILogger _logger;
    private readonly RateLimitedLog _log;

    /// <summary>An exposition outside the served host (replay): a failing contributor is still left out and counted, not logged.</summary>
    public MetricsExposition(CollectorRegistry registry, IEnumerable<IMetricsContributor> contributors)
        : this(registry, contributors, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<MetricsExposition>.Instance)
    {
    }

    [ActivatorUtilitiesConstructor]
    public MetricsExposition(CollectorRegistry registry, IEnumerable<IMetricsContributor> contributors, TimeProvider time, ILogger<MetricsExposition> logger)
    {
        _registry = registry;
        _contributors = [.. contributors];
        _names = UniqueNames(_contributors);
        _errors = new long[_contributors.Length];
        _logger = logger;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
    }

    /// <summary>Renders a whole exposition into <paramref name="output"/>.</summary>
    public async Task RenderAsync(IRewindableOutput output, OurFormat format, CancellationToken cancellationToken)
    {
        using (var registryText = new MemoryStream())
        {
            var theirs = format == OurFormat.OpenMetrics ? Prometheus.ExpositionFormat.OpenMetricsText : Prometheus.ExpositionFormat.PrometheusText;
            await _registry.CollectAndExportAsTextAsync(registryText, theirs, cancellationToken).ConfigureAwait(false);
            var bytes = registryText.GetBuffer().AsSpan(0, (int)registryText.Length);
            if (format == OurFormat.OpenMetrics && bytes.EndsWith(OpenMetricsEof))
            {
                bytes = bytes[..^OpenMetricsEof.Length];
            }

            output.Write(bytes);
        }

        Span<bool> succeeded = _contributors.Length <= 64 ? stackalloc bool[_contributors.Length] : new bool[_contributors.Length];
        for (var i = 0; i < _contributors.Length; i++)
        {
            succeeded[i] = WriteGuarded(i, output, format);
        }

        var writer = new ExpositionWriter(output, format);
        WriteOwnFamilies(writer, succeeded);
        writer.End();
    }

    /// <summary>Picks the format from an Accept header: OpenMetrics when the scraper lists it, else text 0.0.4.</summary>
    public static OurFormat Negotiate(string? accept) =>
        accept is not null && accept.Contains("application/openmetrics-text", StringComparison.OrdinalIgnoreCase)
            ? OurFormat.OpenMetrics
            : OurFormat.PrometheusText;

    public static string ContentType(OurFormat format) => format == OurFormat.OpenMetrics
        ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
        : "text/plain; version=0.0.4; charset=utf-8";

    private bool WriteGuarded(int index, IRewindableOutput output, OurFormat format)
    {
        var mark = output.Mark();
        try
        {
            _contributors[index].Write(new ExpositionWriter(output, format));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            output.Rewind(mark);
            Interlocked.Increment(ref _errors[index]);
            if (_log.ShouldLog(_names[index], out var suppressed))
            {
                LogCollectorFailed(_logger, ex, _names[index], suppressed);
            }

            return false;
        }
    }

    /// <summary>Collector labels, made unique (<c>name_2</c>, ...) should two contributors share one.</summary>
    private static string[] UniqueNames(IMetricsContributor[] contributors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new string[contributors.Length];
        for (var i = 0; i < contributors.Length; i++)
        {
            var name = contributors[i].CollectorName;
            var count = seen[name] = seen.GetValueOrDefault(name) + 1;
            names[i] = count == 1 ? name : $"{name}_{count}";
        }

        return names;
    }

    private void WriteOwnFamilies(ExpositionWriter writer, ReadOnlySpan<bool> succeeded)
    {
        writer.Family(Success);
        for (var i = 0; i < _contributors.Length; i++)
        {
            writer.BeginSample(Success);
            writer.Label("collector"u8, _names[i]);
            writer.Value(succeeded[i] ? 1L : 0L);
        }

        writer.Family(Errors);
        for (var i = 0; i < _contributors.Length; i++)
        {
            writer.BeginSample(Errors);
            writer.Label("collector"u8, _names[i]);
            writer.Value(Interlocked.Read(ref _errors[i]));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "scrape: collector {Collector} failed and was left out of this scrape ({Suppressed} similar messages suppressed)")]
    private static partial void LogCollectorFailed(ILogger logger, Exception exception, string collector, long suppressed);
}
