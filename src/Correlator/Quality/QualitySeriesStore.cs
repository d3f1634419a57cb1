using FlowExporter.Correlator.Collections;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// The quality series, keyed by label set at the quality aggregation level, holding counters that only grow. Like the
/// connection series: every live connection holds its series; a series whose last connection ended stays until one
/// snapshot has carried its final values, then leaves. Bounded: a connection that finds no room is not counted.
/// A slot of -1 (no series) is accepted everywhere and ignored. Takes over the identity references of the keys it is
/// given (see <see cref="SeriesKey.ReleaseIdentities"/>).
/// </summary>
public sealed class QualitySeriesStore
{
    private readonly SlotTable<SeriesKey, State> _table;

    public QualitySeriesStore(int maxSeries)
    {
        _table = new SlotTable<SeriesKey, State>(maxSeries);
    }

    public int Count => _table.Count;

    public int Capacity => _table.Capacity;

    /// <summary>Connections that could not get a quality series because the bound was reached.</summary>
    public long RejectedConnections { get; private set; }

    /// <summary>Finds or creates the series for a key and counts one more live connection on it; -1 when full.</summary>
    public int Acquire(in SeriesKey key)
    {
        var slot = _table.Find(key);
        if (slot >= 0)
        {
            // The series' own key already holds these identities.
            key.ReleaseIdentities();
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
        }

        _table.ValueAt(slot).Live++;
        return slot;
    }

    /// <summary>One connection on the series ended.</summary>
    public void Release(int slot)
    {
        if (slot >= 0 && _table.ValueAt(slot).Live > 0)
        {
            _table.ValueAt(slot).Live--;
        }
    }

    public void CountAttempt(int slot, AttemptResult result)
    {
        if (slot >= 0)
        {
            _table.ValueAt(slot).Counters.Attempts[(int)result]++;
        }
    }

    public void CountRetransmission(int slot, bool forward)
    {
        if (slot >= 0)
        {
            ref var counters = ref _table.ValueAt(slot).Counters;
            if (forward)
            {
                counters.RetransmittedForward++;
            }
            else
            {
                counters.RetransmittedBackward++;
            }
        }
    }

    public void CountZeroWindow(int slot, bool forward)
    {
        if (slot >= 0)
        {
            ref var counters = ref _table.ValueAt(slot).Counters;
            if (forward)
            {
                counters.ZeroWindowForward++;
            }
            else
            {
                counters.ZeroWindowBackward++;
            }
        }
    }

    public void CountReset(int slot, bool fromInitiator)
    {
        if (slot >= 0)
        {
            ref var counters = ref _table.ValueAt(slot).Counters;
            if (fromInitiator)
            {
                counters.ResetsForward++;
            }
            else
            {
                counters.ResetsBackward++;
            }
        }
    }

    public void ObserveHandshake(int slot, long nanoseconds)
    {
        if (slot >= 0)
        {
            ref var counters = ref _table.ValueAt(slot).Counters;
            counters.HandshakeBuckets[HandshakeBuckets.IndexOf(nanoseconds)]++;
            counters.HandshakeCount++;
            counters.HandshakeSumNanoseconds += nanoseconds;
        }
    }

    /// <summary>
    /// Copies every series into <paramref name="buffer"/> (grown as needed) and removes the series that no live
    /// connection holds any more: this snapshot is the one that shows their final values. Returns the count copied.
    /// </summary>
    public int Snapshot(ref QualitySample[] buffer)
    {
        if (buffer.Length < _table.Count)
        {
            buffer = new QualitySample[Math.Max(_table.Count, buffer.Length * 2)];
        }

        var count = 0;
        for (var slot = 0; slot < _table.HighWater; slot++)
        {
            if (!_table.IsUsed(slot))
            {
                continue;
            }

            ref var state = ref _table.ValueAt(slot);
            buffer[count++] = new QualitySample(_table.KeyAt(slot), state.Counters);
            if (state.Live == 0)
            {
                _table.KeyAt(slot).ReleaseIdentities();
                _table.Remove(slot);
            }
        }

        return count;
    }

    public long ApproximateBytes() => _table.ApproximateBytes();

    private struct State
    {
        public QualityCounters Counters;
        public int Live;
    }
}
