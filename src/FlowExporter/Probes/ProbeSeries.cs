namespace FlowExporter.Probes;

/// <summary>The cached results of one target (one peer over one path): a duration histogram of successes and errors by type.</summary>
internal sealed class ProbeSeries
{
    public ProbeSeries(string node, ProbePath path, int buckets, DateTimeOffset now)
    {
        Node = node;
        Path = path;
        BucketCounts = new long[buckets];
        LastWanted = now;
    }

    public string Node { get; }

    public ProbePath Path { get; }

    /// <summary>Non-cumulative counts per upper bound (the last is +Inf).</summary>
    public long[] BucketCounts { get; }

    public long Count { get; set; }

    public double Sum { get; set; }

    public long[] Errors { get; } = new long[Enum.GetValues<ProbeErrorType>().Length];

    /// <summary>When the target was last in the peer list; it leaves after the retention.</summary>
    public DateTimeOffset LastWanted { get; set; }

    public ProbeSeries Copy()
    {
        var copy = new ProbeSeries(Node, Path, BucketCounts.Length, LastWanted) { Count = Count, Sum = Sum };
        BucketCounts.CopyTo(copy.BucketCounts, 0);
        Errors.CopyTo(copy.Errors, 0);
        return copy;
    }
}
