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
public sealed class MetricsExposition
{
    private static readonly byte[] OpenMetricsEof = "# EOF\n"u8.ToArray();
    private readonly CollectorRegistry _registry;
    private readonly IReadOnlyList<IMetricsContributor> _contributors;

    public MetricsExposition(CollectorRegistry registry, IEnumerable<IMetricsContributor> contributors)
    {
        _registry = registry;
        _contributors = contributors.ToArray();
    }

    /// <summary>Renders a whole exposition into <paramref name="output"/>.</summary>
    public async Task RenderAsync(IBufferWriter<byte> output, OurFormat format, CancellationToken cancellationToken)
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

        var writer = new ExpositionWriter(output, format);
        foreach (var contributor in _contributors)
        {
            contributor.Write(writer);
        }

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
}
