using System.Text;

namespace FlowExporter.Correlator.Exposition;

/// <summary>
/// A metric family as written to the exposition. <paramref name="Name"/> is the sample name in Prometheus text
/// format: counters end in <c>_total</c> (OpenMetrics writes the family without that suffix).
/// </summary>
public sealed record MetricFamily(string Name, MetricType Type, string Help)
{
    internal byte[] SampleName { get; } = Encoding.UTF8.GetBytes(Name);

    internal byte[] PrometheusHeader { get; } = Header(Name, Type, Help, ExpositionFormat.PrometheusText);

    internal byte[] OpenMetricsHeader { get; } = Header(Name, Type, Help, ExpositionFormat.OpenMetrics);

    private static byte[] Header(string name, MetricType type, string help, ExpositionFormat format)
    {
        var familyName = format == ExpositionFormat.OpenMetrics && type == MetricType.Counter && name.EndsWith("_total", StringComparison.Ordinal)
            ? name[..^"_total".Length]
            : name;
        var typeName = type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            _ => "histogram",
        };
        var escapedHelp = help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        if (format == ExpositionFormat.OpenMetrics)
        {
            escapedHelp = escapedHelp.Replace("\"", "\\\"", StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes($"# HELP {familyName} {escapedHelp}\n# TYPE {familyName} {typeName}\n");
    }
}
