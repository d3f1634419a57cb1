using FlowExporter.Correlator.Connections;

namespace FlowExporter.Correlator.Quality;

/// <summary>Connection quality from the capture: handshake RTT, attempts, retransmissions (the <c>quality</c> section).</summary>
public sealed record QualityOptions
{
    public static QualityOptions Disabled { get; } = new() { Enabled = false };

    public bool Enabled { get; init; } = true;

    /// <summary>How quality series are keyed: the pair the counters and the handshake histogram are kept per.</summary>
    public AggregationLevel Aggregation { get; init; } = AggregationLevel.PodPair;

    /// <summary>A SYN with no answer (SYN-ACK, RST, ICMP unreachable) for this long counts as an attempt that timed out.</summary>
    public TimeSpan SynTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Quality series kept at most; a connection that finds no room is not counted in them (counted as rejected).</summary>
    public int MaxSeries { get; init; } = 100_000;
}
