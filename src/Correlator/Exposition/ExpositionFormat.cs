namespace FlowExporter.Correlator.Exposition;

/// <summary>The two text formats a scraper may negotiate.</summary>
public enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    PrometheusText,

    /// <summary>OpenMetrics 1.0.0 text.</summary>
    OpenMetrics,
}
