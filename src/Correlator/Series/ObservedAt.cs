namespace FlowExporter.Correlator.Series;

/// <summary>
/// Where a capture point sits on a connection (the <c>observed_at</c> label), decided when a series key is built at
/// a pod or workload aggregation level. <see cref="Unresolved"/>: not decided at open (no metadata, or a level that
/// joins metadata at scrape time).
/// </summary>
public enum ObservedAt : byte
{
    Unresolved,

    /// <summary>The initiator is local to the capture point (both local counts as initiator).</summary>
    Initiator,

    /// <summary>The target is local, the initiator is not.</summary>
    Target,

    /// <summary>Neither end is local.</summary>
    Transit,
}
