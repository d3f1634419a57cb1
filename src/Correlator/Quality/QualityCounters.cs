using System.Runtime.CompilerServices;

namespace FlowExporter.Correlator.Quality;

#pragma warning disable CA1051 // Fields on purpose: counted in place inside the series table.

/// <summary>
/// The cumulative quality counters of one series (forward: initiator to target), and its handshake histogram with
/// non-cumulative bucket counts, as a snapshot carries them (the store keeps them in 32-bit cells:
/// <see cref="QualityCellCounts"/>).
/// </summary>
public struct QualityCounters
{
    public AttemptCounts Attempts;
    public ulong RetransmittedForward;
    public ulong RetransmittedBackward;
    public ulong ZeroWindowForward;
    public ulong ZeroWindowBackward;

    /// <summary>Connections ended by an RST from the initiator (forward) or from the target (backward).</summary>
    public ulong ResetsForward;
    public ulong ResetsBackward;

    public HandshakeBucketCounts HandshakeBuckets;
    public ulong HandshakeCount;
    public long HandshakeSumNanoseconds;
}

/// <summary>Attempts per <see cref="AttemptResult"/>.</summary>
[InlineArray(Length)]
public struct AttemptCounts
{
    public const int Length = 4;

    private ulong _first;
}
