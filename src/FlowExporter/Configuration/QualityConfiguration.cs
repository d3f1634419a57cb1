using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Quality;

namespace FlowExporter.Configuration;

/// <summary>The <c>quality</c> section: handshake RTT, attempts and retransmissions from the capture.</summary>
public static class QualityConfiguration
{
    public static readonly string[] Keys = ["enabled", "aggregation", "syn_timeout", "max_series"];

    /// <param name="connections">The connections section: an unanswered SYN must time out before its connection does.</param>
    public static QualityOptions FromConfiguration(IConfigurationSection section, ConnectionsOptions connections)
    {
        ConfigReader.RejectUnknown(section, Keys);
        var defaults = new QualityOptions();
        // Unset, it follows a shorter connections.timeout down; set, it must fit in it.
        var fallback = defaults.SynTimeout < connections.Timeout ? defaults.SynTimeout : connections.Timeout;
        var synTimeout = ConfigReader.Duration(section, "syn_timeout", fallback, TimeSpan.FromMilliseconds(100));
        if (synTimeout > connections.Timeout)
        {
            throw new ConfigException(
                ConfigReader.Path(section, "syn_timeout"),
                $"must not exceed connections.timeout ({connections.Timeout.TotalSeconds:0.###}s): the attempt would leave the table first");
        }

        return new QualityOptions
        {
            Enabled = ConfigReader.Bool(section, "enabled", defaults.Enabled),
            Aggregation = ConfigReader.Enum(
                section,
                "aggregation",
                defaults.Aggregation,
                ("connection", AggregationLevel.Connection),
                ("endpoint", AggregationLevel.Endpoint),
                ("pod_pair", AggregationLevel.PodPair),
                ("workload_pair", AggregationLevel.WorkloadPair)),
            SynTimeout = synTimeout,
            MaxSeries = ConfigReader.Int(section, "max_series", defaults.MaxSeries, 1, 50_000_000),
        };
    }
}
