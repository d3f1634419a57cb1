using System.Runtime.CompilerServices;

namespace FlowExporter.Correlator.Quality;

#pragma warning disable CA1051 // Fields on purpose: counted in place inside the series table.

/// <summary>
/// The counts of one quality series as stored: 32 bits each, the bits above kept apart by
/// <see cref="QualitySeriesStore"/> for the rare count that passes 2^32 (half the bytes of 64-bit counts, for a series
/// per connection in the worst case). Cells: attempts by <see cref="AttemptResult"/>, then retransmitted, zero-window and
/// reset counts forward and backward, then the handshake buckets (non-cumulative, +Inf last).
/// </summary>
[InlineArray(Count)]
public struct QualityCellCounts
{
    public const int FirstAttempt = 0;
    public const int RetransmittedForward = 4;
    public const int RetransmittedBackward = 5;
    public const int ZeroWindowForward = 6;
    public const int ZeroWindowBackward = 7;
    public const int ResetsForward = 8;
    public const int ResetsBackward = 9;
    public const int FirstBucket = 10;
    public const int Count = FirstBucket + HandshakeBuckets.Count;

    private uint _first;
}
