using System.Runtime.InteropServices;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// The quality series, keyed by label set at the quality aggregation level, on the one <see cref="SeriesStore{TState}"/>:
/// every live connection holds its series; a series whose last connection ended stays until one snapshot has carried
/// its final values, then leaves. Bounded: a connection that finds no room is not counted. A slot of -1 (no series) is
/// accepted everywhere and ignored.
/// Counts are stored in 32 bits (<see cref="QualityCellCounts"/>); a count that wraps adds one to its high part, kept
/// in a dictionary by series and cell, so the snapshot's 64-bit counts never go back.
/// </summary>
public sealed class QualitySeriesStore
{
    private readonly SeriesStore<QualitySeriesState> _store;

    /// <summary>The bits above 32 of the counts that passed 2^32, by <c>slot * cells + cell</c>.</summary>
    private readonly Dictionary<long, uint> _high = [];

    public QualitySeriesStore(int maxSeries)
    {
        _store = new SeriesStore<QualitySeriesState>(maxSeries);
    }

    public int Count => _store.Count;

    public int Capacity => _store.Capacity;

    /// <summary>Connections that could not get a quality series because the bound was reached.</summary>
    public long RejectedConnections => _store.RejectedConnections;

    /// <inheritdoc cref="SeriesStore{TState}.Acquire"/>
    public int Acquire(in SeriesKey key) => _store.Acquire(key);

    /// <inheritdoc cref="SeriesStore{TState}.Release"/>
    public void Release(int slot) => _store.Release(slot);

    /// <inheritdoc cref="SeriesStore{TState}.Withdraw"/>
    public void Withdraw(int slot) => _store.Withdraw(slot);

    public void CountAttempt(int slot, AttemptResult result) => Increment(slot, QualityCellCounts.FirstAttempt + (int)result);

    public void CountRetransmission(int slot, bool forward) =>
        Increment(slot, forward ? QualityCellCounts.RetransmittedForward : QualityCellCounts.RetransmittedBackward);

    /// <summary>Counts <paramref name="count"/> retransmitted segments at once (another engine's report); 0 changes nothing.</summary>
    public void CountRetransmissions(int slot, bool forward, uint count) =>
        Add(slot, forward ? QualityCellCounts.RetransmittedForward : QualityCellCounts.RetransmittedBackward, count);

    /// <summary>Counts <paramref name="count"/> zero-window segments at once (another engine's report); 0 changes nothing.</summary>
    public void CountZeroWindows(int slot, bool forward, uint count) =>
        Add(slot, forward ? QualityCellCounts.ZeroWindowForward : QualityCellCounts.ZeroWindowBackward, count);

    public void CountZeroWindow(int slot, bool forward) =>
        Increment(slot, forward ? QualityCellCounts.ZeroWindowForward : QualityCellCounts.ZeroWindowBackward);

    public void CountReset(int slot, bool fromInitiator) =>
        Increment(slot, fromInitiator ? QualityCellCounts.ResetsForward : QualityCellCounts.ResetsBackward);

    public void ObserveHandshake(int slot, long nanoseconds)
    {
        if (slot >= 0)
        {
            Increment(slot, QualityCellCounts.FirstBucket + HandshakeBuckets.IndexOf(nanoseconds));
            _store.StateAt(slot).HandshakeSumNanoseconds += nanoseconds;
        }
    }

    /// <inheritdoc cref="SeriesStore{TState}.Snapshot"/>
    public int Snapshot(ref QualitySample[] buffer) => _store.Snapshot(ref buffer, new Projection(this));

    public long ApproximateBytes() => _store.ApproximateBytes();

    /// <summary>Sets a count as if counted (tests of counts past 2^32, which no test can count one by one).</summary>
    internal void SetCount(int slot, int cell, ulong value)
    {
        _store.StateAt(slot).Cells[cell] = (uint)value;
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

        ref var count = ref _store.StateAt(slot).Cells[cell];
        count++;
        if (count == 0)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_high, HighKey(slot, cell), out _)++;
        }
    }

    private void Add(int slot, int cell, uint amount)
    {
        if (slot < 0 || amount == 0)
        {
            return;
        }

        ref var count = ref _store.StateAt(slot).Cells[cell];
        var sum = count + amount;
        if (sum < count)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_high, HighKey(slot, cell), out _)++;
        }

        count = sum;
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

    /// <summary>Copies a series with the high parts of its counts, and forgets them when the series leaves.</summary>
    private readonly struct Projection(QualitySeriesStore store) : ISeriesProjection<QualitySeriesState, QualitySample>
    {
        public QualitySample Sample(int slot, in SeriesKey key, in QualitySeriesState state) =>
            new(key, state, store._high.Count > 0 ? store.HighParts(slot) : null);

        public void Removed(int slot) => store.ForgetHigh(slot);
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
