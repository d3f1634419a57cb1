using FlowExporter.Correlator.Collections;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The exported connection series, keyed by label set, holding cumulative counters that only grow. Connections that
/// map to the same label set (a tuple reused, or many connections at a coarse aggregation level) share one series.
/// A series whose last connection ended stays until one snapshot has carried its final values, then leaves.
/// Bounded by <c>maxSeries</c>: a connection that finds no room is tracked but not exported, and counted.
/// Takes over the identity references of the keys it is given (see <see cref="SeriesKey.ReleaseIdentities"/>).
/// The connection table counts each packet in its own entry and adds to the series only when it flushes (before every
/// snapshot, and when a connection ends): the counters here are as of the table's last flush.
/// </summary>
public sealed class ConnectionSeriesStore
{
    private readonly SlotTable<SeriesKey, State> _table;

    public ConnectionSeriesStore(int maxSeries)
    {
        _table = new SlotTable<SeriesKey, State>(maxSeries);
    }

    public int Count => _table.Count;

    public int Capacity => _table.Capacity;

    /// <summary>Connections that could not get a series because the cap was reached.</summary>
    public long RejectedConnections { get; private set; }

    /// <summary>Bytes of connections that had no series (cap reached).</summary>
    public ulong UnexportedBytes { get; private set; }

    /// <summary>Packets of connections that had no series (cap reached).</summary>
    public ulong UnexportedPackets { get; private set; }

    /// <summary>
    /// Connections that joined a series that already existed (another connection with the same label set: merged by
    /// the aggregation level, or a tuple reused before its series left). Every connection is exactly one of: a new
    /// series, merged, or rejected.
    /// </summary>
    public long MergedConnections { get; private set; }

    /// <summary>Series created since the start.</summary>
    public long CreatedSeries { get; private set; }

    /// <summary>Finds or creates the series for a key and counts one more live connection on it; -1 when full.</summary>
    public int Acquire(in SeriesKey key)
    {
        var slot = _table.Find(key);
        if (slot >= 0)
        {
            // The series' own key already holds these identities.
            key.ReleaseIdentities();
            MergedConnections++;
        }
        else
        {
            slot = _table.Add(key);
            if (slot < 0)
            {
                key.ReleaseIdentities();
                RejectedConnections++;
                return -1;
            }

            CreatedSeries++;
        }

        ref var state = ref _table.ValueAt(slot);
        state.Live++;
        return slot;
    }

    /// <summary>
    /// Adds what a connection carried since its last flush (see <see cref="Connections.ConnectionTracker.FlushCounters"/>);
    /// a connection without a series (-1) adds to the unexported totals.
    /// </summary>
    public void Add(int slot, ulong forwardBytes, ulong backwardBytes, ulong forwardPackets, ulong backwardPackets)
    {
        if (slot < 0)
        {
            UnexportedBytes += forwardBytes + backwardBytes;
            UnexportedPackets += forwardPackets + backwardPackets;
            return;
        }

        ref var total = ref _table.ValueAt(slot).Counters;
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
            _table.ValueAt(slot).Counters.HandshakeRttNanoseconds = nanoseconds;
        }
    }

    /// <summary>One connection on the series ended.</summary>
    public void Release(int slot)
    {
        if (slot < 0)
        {
            return;
        }

        ref var state = ref _table.ValueAt(slot);
        if (state.Live > 0)
        {
            state.Live--;
        }
    }

    /// <summary>
    /// Copies every series into <paramref name="buffer"/> (grown as needed) and removes the series that no live
    /// connection holds any more: this snapshot is the one that shows their final values. Returns the count copied.
    /// </summary>
    public int Snapshot(ref SeriesSample[] buffer)
    {
        if (buffer.Length < _table.Count)
        {
            buffer = new SeriesSample[Math.Max(_table.Count, buffer.Length * 2)];
        }

        var count = 0;
        for (var slot = 0; slot < _table.HighWater; slot++)
        {
            if (!_table.IsUsed(slot))
            {
                continue;
            }

            ref var state = ref _table.ValueAt(slot);
            buffer[count++] = new SeriesSample(_table.KeyAt(slot), state.Counters);
            if (state.Live == 0)
            {
                _table.KeyAt(slot).ReleaseIdentities();
                _table.Remove(slot);
            }
        }

        return count;
    }

    public long ApproximateBytes() =>
        _table.ApproximateBytes();

    private struct State
    {
        public SeriesCounters Counters;
        public int Live;
    }
}
