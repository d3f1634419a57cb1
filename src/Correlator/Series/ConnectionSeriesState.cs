namespace FlowExporter.Correlator.Series;

#pragma warning disable CA1051 // Fields on purpose: updated in place inside the series table.

/// <summary>One connection series as the store keeps it: its counters and its live connections.</summary>
internal struct ConnectionSeriesState : ISeriesState
{
    public SeriesCounters Counters;
    private int _live;

    public int Live
    {
        readonly get => _live;
        set => _live = value;
    }
}
