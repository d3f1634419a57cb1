using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Quality;

/// <summary>One quality series as a scrape sees it: its identity and its counters at the moment of the snapshot.</summary>
public readonly record struct QualitySample(SeriesKey Key, QualityCounters Counters);
