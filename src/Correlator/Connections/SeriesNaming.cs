namespace FlowExporter.Correlator.Connections;

/// <summary>The names connection series are exposed under (the <c>connections.naming</c> setting).</summary>
public enum SeriesNaming
{
    /// <summary>Prometheus naming: counters <c>network_connection_bytes_total</c> and <c>network_connection_packets_total</c>.</summary>
    Prometheus,

    /// <summary>
    /// The Skydive-Prometheus connector's names, for existing dashboards: gauges <c>network_connection_total_bytes</c>
    /// and <c>network_connection_total_packets</c> (same labels and values).
    /// </summary>
    Skydive,
}
