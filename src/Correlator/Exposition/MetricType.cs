namespace FlowExporter.Correlator.Exposition;

/// <summary>The metric types this exporter writes.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}
