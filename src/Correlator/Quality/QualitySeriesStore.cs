using System.Runtime.InteropServices;
using FlowExporter.Correlator.Collections;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// The quality series, keyed by label set at the quality aggregation level, holding counters that only grow. Like the
/// connection series: every live connection holds its series; a series whose last connection ended stays until one
/// snapshot has carried its final values, then leaves. Bounded: a connection that finds no room is not counted.
/// A slot of -1 (no series) is accepted everywhere and ignored. Takes over the identity references of the keys it is
/// given (see <see cref="SeriesKey.ReleaseIdentities"/>).
/// Counts are stored in 32 bits (<see cref="QualityCellCounts"/>); a count that wraps adds one to its high part, kept
/// in a dictionary by series and cell, so the snapshot's 64-bit counts never go back.
/// </summary>
public sealed class QualitySeriesStore
{
    private readonly SlotTable<SeriesKey, QualitySeriesState> _table;

    /// <summary>The bits above 32 of the counts that passed 2^32, by <c>slot * cells + cell</c>.</summary>
    private readonly Dictionary<long, uint> _high = [];

    public QualitySeriesStore(int maxSeries)
    {
        _table = new SlotTable<SeriesKey, QualitySeriesState>(maxSeries);
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

    public void CountAttempt(int slot, AttemptResult result) => Increment(slot, QualityCellCounts.FirstAttempt + (int)result);

    public void CountRetransmission(int slot, bool forward) =>
        Increment(slot, forward ? QualityCellCounts.RetransmittedForward : QualityCellCounts.RetransmittedBackward);

    public void CountZeroWindow(int slot, bool forward) =>
        Increment(slot, forward ? QualityCellCounts.ZeroWindowForward : QualityCellCounts.ZeroWindowBackward);

    public void CountReset(int slot, bool fromInitiator) =>
        Increment(slot, fromInitiator ? QualityCellCounts.ResetsForward : QualityCellCounts.ResetsBackward);

    public void ObserveHandshake(int slot, long nanoseconds)
    {
        if (slot >= 0)
        {
            Increment(slot, QualityCellCounts.FirstBucket + HandshakeBuckets.IndexOf(nanoseconds));
            _table.ValueAt(slot).HandshakeSumNanoseconds += nanoseconds;
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
            buffer[count++] = new QualitySample(_table.KeyAt(slot), state, _high.Count > 0 ? HighParts(slot) : null);
            if (state.Live == 0)
            {
                _table.KeyAt(slot).ReleaseIdentities();
                _table.Remove(slot);
                ForgetHigh(slot);
            }
        }

        return count;
    }

    public long ApproximateBytes() => _table.ApproximateBytes();

    /// <summary>Sets a count as if counted (tests of counts past 2^32, which no test can count one by one).</summary>
    internal void SetCount(int slot, int cell, ulong value)
    {
        _table.ValueAt(slot).Cells[cell] = (uint)value;
        _high.Remove(HighKey(slot, cell));
        if (value > uint.MaxValue)
        {
            _high[HighKey(slot, cell)] = (uint)(value >> 32);
        }
    }

    private static long HighKey(int slot, int cell) => ((long)slot * QualityCellCounts.Count) + cell;

    private void Increment(int slot, int cell)
    {
        if (slot < 0)
        {
            return;
        }

        ref var count = ref _table.ValueAt(slot).Cells[cell];
        count++;
        if (count == 0)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_high, HighKey(slot, cell), out _)++;
        }
    }

    /// <summary>The high parts of a series' counts, or null when none passed 2^32 (almost always).</summary>
    private uint[]? HighParts(int slot)
    {
        uint[]? high = null;
        for (var cell = 0; cell < QualityCellCounts.Count; cell++)
        {
            if (_high.TryGetValue(HighKey(slot, cell), out var value))
            {
                high ??= new uint[QualityCellCounts.Count];
                high[cell] = value;
            }
        }

        return high;
    }

    private void ForgetHigh(int slot)
    {
        if (_high.Count == 0)
        {
            return;
        }

        for (var cell = 0; cell < QualityCellCounts.Count; cell++)
        {
            _high.Remove(HighKey(slot, cell));
        }
    }
}
