namespace FlowExporter.Correlator.Series;

/// <summary>One series as a scrape sees it: its identity and its counters at the moment of the snapshot.</summary>
public readonly record struct SeriesSample(SeriesKey Key, SeriesCounters Counters);
