using FlowExporter.Correlator.Connections;

namespace FlowExporter.Configuration;

/// <summary>The <c>connections</c> section: the connection table's timeouts, bounds and how it is exported.</summary>
public sealed record ConnectionsOptions
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan CloseLinger { get; init; } = TimeSpan.FromSeconds(5);

    public int Max { get; init; } = 100_000;

    public int MaxSeries { get; init; } = 100_000;

    public TimeSpan EvictionMinIdle { get; init; } = TimeSpan.FromSeconds(5);

    public AggregationLevel Aggregation { get; init; } = AggregationLevel.Connection;

    public SeriesNaming Naming { get; init; } = SeriesNaming.Prometheus;

    public CountAt CountAt { get; init; } = CountAt.Node;

    public ConnectionTrackerOptions ToTrackerOptions() => new()
    {
        Timeout = Timeout,
        CloseLinger = CloseLinger,
        MaxConnections = Max,
        EvictionMinIdle = EvictionMinIdle,
        Aggregation = Aggregation,
        CountAt = CountAt,
    };

    public static ConnectionsOptions FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(section, "timeout", "close_linger", "max", "max_series", "eviction_min_idle", "aggregation", "naming", "count_at");
        return new ConnectionsOptions
        {
            Timeout = ConfigReader.Duration(section, "timeout", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1)),
            CloseLinger = ConfigReader.Duration(section, "close_linger", TimeSpan.FromSeconds(5), TimeSpan.Zero),
            Max = ConfigReader.Int(section, "max", 100_000, 1, 50_000_000),
            MaxSeries = ConfigReader.Int(section, "max_series", 100_000, 1, 50_000_000),
            EvictionMinIdle = ConfigReader.Duration(section, "eviction_min_idle", TimeSpan.FromSeconds(5), TimeSpan.Zero),
            Aggregation = ConfigReader.Enum(
                section,
                "aggregation",
                AggregationLevel.Connection,
                ("connection", AggregationLevel.Connection),
                ("endpoint", AggregationLevel.Endpoint),
                ("pod_pair", AggregationLevel.PodPair),
                ("workload_pair", AggregationLevel.WorkloadPair)),
            Naming = ConfigReader.Enum(section, "naming", SeriesNaming.Prometheus, ("prometheus", SeriesNaming.Prometheus), ("skydive", SeriesNaming.Skydive)),
            CountAt = ConfigReader.Enum(section, "count_at", CountAt.Node, ("node", CountAt.Node), ("every_point", CountAt.EveryPoint)),
        };
    }
}
