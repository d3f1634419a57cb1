using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// One quality series as a scrape sees it: its identity and its counts at the moment of the snapshot, kept as the store
/// keeps them (32-bit cells, and the high parts of the rare counts past 2^32), so a snapshot of 100,000 series holds
/// 19 MB rather than 30 MB between scrapes. <see cref="Count"/> reads one count; <see cref="Counters"/> all of them.
/// </summary>
public readonly struct QualitySample
{
    private readonly QualityCellCounts _cells;
    private readonly uint[]? _high;

    internal QualitySample(SeriesKey key, in QualitySeriesState state, uint[]? high)
    {
        Key = key;
        _cells = state.Cells;
        HandshakeSumNanoseconds = state.HandshakeSumNanoseconds;
        _high = high;
    }

    public SeriesKey Key { get; }

    public long HandshakeSumNanoseconds { get; }

    /// <summary>Handshakes observed: the sum of the buckets.</summary>
    public ulong HandshakeCount
    {
        get
        {
            ulong total = 0;
            for (var bucket = 0; bucket < HandshakeBuckets.Count; bucket++)
            {
                total += Count(QualityCellCounts.FirstBucket + bucket);
            }

            return total;
        }
    }

    /// <summary>One count (a <see cref="QualityCellCounts"/> cell), 64 bits.</summary>
    public ulong Count(int cell) => ((ulong)(_high is null ? 0 : _high[cell]) << 32) | _cells[cell];

    /// <summary>Every count as 64-bit counters.</summary>
    public QualityCounters Counters
    {
        get
        {
            var counters = new QualityCounters
            {
                RetransmittedForward = Count(QualityCellCounts.RetransmittedForward),
                RetransmittedBackward = Count(QualityCellCounts.RetransmittedBackward),
                ZeroWindowForward = Count(QualityCellCounts.ZeroWindowForward),
                ZeroWindowBackward = Count(QualityCellCounts.ZeroWindowBackward),
                ResetsForward = Count(QualityCellCounts.ResetsForward),
                ResetsBackward = Count(QualityCellCounts.ResetsBackward),
                HandshakeSumNanoseconds = HandshakeSumNanoseconds,
                HandshakeCount = HandshakeCount,
            };
            for (var result = 0; result < AttemptCounts.Length; result++)
            {
                counters.Attempts[result] = Count(QualityCellCounts.FirstAttempt + result);
            }

            for (var bucket = 0; bucket < HandshakeBuckets.Count; bucket++)
            {
                counters.HandshakeBuckets[bucket] = Count(QualityCellCounts.FirstBucket + bucket);
            }

            return counters;
        }
    }
}
