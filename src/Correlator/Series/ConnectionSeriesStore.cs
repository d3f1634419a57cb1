namespace FlowExporter.Correlator.Series;

/// <summary>
/// The exported connection series (bytes and packets per direction, and the latest handshake RTT), on the one
/// <see cref="SeriesStore{TState}"/>. Connections that map to the same label set (a tuple reused, or many connections
/// at a coarse aggregation level) share one series. The connection table counts each packet in its own entry and adds
/// to the series only when it flushes (before every snapshot, and when a connection ends): the counters here are as of
/// the table's last flush.
/// </summary>
public sealed class ConnectionSeriesStore
{
    private readonly SeriesStore<ConnectionSeriesState> _store;

    public ConnectionSeriesStore(int maxSeries)
    {
        _store = new SeriesStore<ConnectionSeriesState>(maxSeries);
    }

    public int Count => _store.Count;

    public int Capacity => _store.Capacity;

    /// <summary>Connections that could not get a series because the cap was reached.</summary>
    public long RejectedConnections => _store.RejectedConnections;

    /// <summary>Bytes of connections that had no series (cap reached).</summary>
    public ulong UnexportedBytes { get; private set; }

    /// <summary>Packets of connections that had no series (cap reached).</summary>
    public ulong UnexportedPackets { get; private set; }

    /// <inheritdoc cref="SeriesStore{TState}.MergedConnections"/>
    public long MergedConnections => _store.MergedConnections;

    /// <summary>Series created since the start.</summary>
    public long CreatedSeries => _store.CreatedSeries;

    /// <inheritdoc cref="SeriesStore{TState}.Acquire"/>
    public int Acquire(in SeriesKey key) => _store.Acquire(key);

    /// <summary>
    /// Adds what a connection carried since its last flush; a connection without a series (-1) adds to the unexported
    /// totals.
    /// </summary>
    public void Add(int slot, ulong forwardBytes, ulong backwardBytes, ulong forwardPackets, ulong backwardPackets)
    {
        if (slot < 0)
        {
            UnexportedBytes += forwardBytes + backwardBytes;
            UnexportedPackets += forwardPackets + backwardPackets;
            return;
        }

        ref var total = ref _store.StateAt(slot).Counters;
        total.ForwardBytes += forwardBytes;
        total.BackwardBytes += backwardBytes;
        total.ForwardPackets += forwardPackets;
        total.BackwardPackets += backwardPackets;
    }

    /// <summary>Records the handshake RTT of a connection on the series (the latest one wins).</summary>
    public void SetHandshake(int slot, long nanoseconds)
    {
        if (slot >= 0)
        {
            _store.StateAt(slot).Counters.HandshakeRttNanoseconds = nanoseconds;
        }
    }

    /// <inheritdoc cref="SeriesStore{TState}.Release"/>
    public void Release(int slot) => _store.Release(slot);

    /// <inheritdoc cref="SeriesStore{TState}.Withdraw"/>
    public void Withdraw(int slot) => _store.Withdraw(slot);

    /// <inheritdoc cref="SeriesStore{TState}.Snapshot"/>
    public int Snapshot(ref SeriesSample[] buffer) => _store.Snapshot(ref buffer, default(Projection));

    public long ApproximateBytes() => _store.ApproximateBytes();

    private readonly struct Projection : ISeriesProjection<ConnectionSeriesState, SeriesSample>
    {
        public SeriesSample Sample(int slot, in SeriesKey key, in ConnectionSeriesState state) => new(key, state.Counters);

        public void Removed(int slot)
        {
        }
    }
}
