namespace FlowExporter.Correlator.Connections;

/// <summary>Timeouts and bounds of the connection table.</summary>
public sealed record ConnectionTrackerOptions
{
    /// <summary>A connection with no packet for this long leaves the table (reason timeout).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After FIN in both directions or an RST, the connection stays this long for the last packets.</summary>
    public TimeSpan CloseLinger { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections tracked at most.</summary>
    public int MaxConnections { get; init; } = 100_000;

    /// <summary>
    /// When the table is full, the connection idle the longest is evicted for a new one only if it has been idle at
    /// least this long; otherwise the new connection is dropped (counted), so a flood cannot flush live connections.
    /// </summary>
    public TimeSpan EvictionMinIdle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How connections map to exported series. Read by whoever composes the table's series
    /// (<c>Series.ConnectionSeries</c>), not by the table, which knows series only through <see cref="IConnectionSeries"/>.
    /// </summary>
    public AggregationLevel Aggregation { get; init; } = AggregationLevel.Connection;

    /// <summary>
    /// Where a connection seen at several capture points is counted: once per node (one entry, at the first point that
    /// delivered a packet of it) or once per point.
    /// </summary>
    public CountAt CountAt { get; init; } = CountAt.Node;
}
