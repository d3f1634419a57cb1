using System.Runtime.CompilerServices;

namespace FlowExporter.Correlator.Quality;

/// <summary>
/// The bucket bounds of <c>network_connection_handshake_seconds</c>: 50 µs (two pods on one node) to 5 s (a SYN
/// retransmitted after its first timeouts), about three per decade, so that a quantile is within a factor of about two.
/// </summary>
public static class HandshakeBuckets
{
    /// <summary>Upper bounds in nanoseconds, ascending; a last +Inf bucket follows them.</summary>
    public static ReadOnlySpan<long> UpperBoundsNanoseconds =>
    [
        50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000,
        1_000_000_000, 2_500_000_000, 5_000_000_000,
    ];

    /// <summary>Buckets including +Inf.</summary>
    public const int Count = 17;

    /// <summary>The index of the first bucket whose upper bound holds the value (<see cref="Count"/> - 1 for +Inf).</summary>
    public static int IndexOf(long nanoseconds)
    {
        var bounds = UpperBoundsNanoseconds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (nanoseconds <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Length;
    }
}

/// <summary>Non-cumulative counts per handshake bucket, stored inline in a series' state.</summary>
[InlineArray(HandshakeBuckets.Count)]
public struct HandshakeBucketCounts
{
    private ulong _first;
}
