using FlowExporter.Correlator.Connections;

namespace FlowExporter.Configuration;

/// <summary>
/// What a valid configuration asks that the configured sources cannot give, said once at start (a warning, not an
/// error: the exporter still runs and does what the docs say for that case).
/// </summary>
public static class StartWarnings
{
    /// <param name="hasMetadata">A metadata source (Kubernetes, an endpoints file, OVS) is configured.</param>
    public static IReadOnlyList<string> For(ExporterOptions options, bool hasMetadata)
    {
        var warnings = new List<string>();
        if (!options.Capture.Enabled || hasMetadata)
        {
            return warnings;
        }

        if (IsPodLevel(options.Connections.Aggregation))
        {
            warnings.Add(
                $"connections.aggregation: {Name(options.Connections.Aggregation)} names ends from endpoint metadata, and no metadata source is "
                + "configured (kubernetes, endpoints_file, ovs): every end keeps its IP, as at the endpoint level");
        }

        if (options.Quality.Enabled && IsPodLevel(options.Quality.Aggregation))
        {
            warnings.Add(
                $"quality.aggregation: {Name(options.Quality.Aggregation)} names ends from endpoint metadata, and no metadata source is "
                + "configured: quality series are kept per IP pair, one per client address (set quality.aggregation: endpoint, or add a metadata source)");
        }

        return warnings;
    }

    private static bool IsPodLevel(AggregationLevel level) => level is AggregationLevel.PodPair or AggregationLevel.WorkloadPair;

    private static string Name(AggregationLevel level) => level == AggregationLevel.PodPair ? "pod_pair" : "workload_pair";
}
