using FlowExporter.Correlator.Connections;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The connection table's series (<see cref="IConnectionSeries"/>): each connection keyed by the label schema at
/// <c>connections.aggregation</c> when it opens, and counted in the <see cref="ConnectionSeriesStore"/>.
/// </summary>
public sealed class ConnectionSeries : IConnectionSeries
{
    private readonly ConnectionSeriesStore _store;
    private readonly SeriesKeyFactory _keys;
    private readonly AggregationLevel _aggregation;

    /// <param name="keys">Shared with connection quality: one label schema, one intern table.</param>
    public ConnectionSeries(ConnectionSeriesStore store, SeriesKeyFactory keys, AggregationLevel aggregation)
    {
        _store = store;
        _keys = keys;
        _aggregation = aggregation;
    }

    /// <summary>Addresses and ports only (no metadata), at <paramref name="aggregation"/>.</summary>
    public ConnectionSeries(ConnectionSeriesStore store, AggregationLevel aggregation = AggregationLevel.Connection)
        : this(store, new SeriesKeyFactory(), aggregation)
    {
    }

    public ConnectionSeriesStore Store => _store;

    public int Open(in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence) =>
        _store.Acquire(_keys.For(key, initiatorIsA, evidence, _aggregation));

    public void Add(int series, ulong forwardBytes, ulong backwardBytes, ulong forwardPackets, ulong backwardPackets) =>
        _store.Add(series, forwardBytes, backwardBytes, forwardPackets, backwardPackets);

    public void Release(int series) => _store.Release(series);

    public void Withdraw(int series) => _store.Withdraw(series);
}
