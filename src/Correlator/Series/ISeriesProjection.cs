namespace FlowExporter.Correlator.Series;

/// <summary>
/// How one family copies its series out of a <see cref="SeriesStore{TState}"/> at a snapshot. A struct implementing it
/// is passed by generic parameter, so the calls are inlined per family (no delegate per series on the scrape path).
/// </summary>
public interface ISeriesProjection<TState, TSample>
    where TState : struct, ISeriesState
{
    /// <summary>The sample a scrape sees for the series in <paramref name="slot"/>.</summary>
    TSample Sample(int slot, in SeriesKey key, in TState state);

    /// <summary>The series in <paramref name="slot"/> left the store after its final sample.</summary>
    void Removed(int slot);
}
