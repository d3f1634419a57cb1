namespace FlowExporter.Correlator.Series;

/// <summary>
/// What <see cref="SeriesStore{TState}"/> keeps per series: the family's own counters plus the count of live connections
/// holding the series. The count is the state's own field (not wrapped by the store) so the state keeps the layout its
/// family chose: a wrapper would add padding to every series.
/// </summary>
public interface ISeriesState
{
    /// <summary>Connections currently holding the series; at 0 the next snapshot is its last.</summary>
    int Live { get; set; }
}
