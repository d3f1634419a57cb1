namespace FlowExporter.Correlator.Series;

/// <summary>
/// The metadata labels of a series' ends as one scrape resolved them (rendered, see <see cref="SeriesLabels"/>), and
/// its <c>observed_at</c>; all null when there is no index or the key was named at open.
/// </summary>
public readonly record struct ResolvedEnds(byte[]? InitiatorLabels, byte[]? TargetLabels, byte[]? ObservedAt);
