using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// Everything a scrape writes about capture and connections, copied from the pipeline in one step so that the
/// (longer) writing happens without holding up packet processing.
/// </summary>
public sealed class ConnectionSnapshot
{
    private SeriesSample[] _samples = [];
    private QualitySample[] _quality = [];

    public ReadOnlySpan<SeriesSample> Samples => _samples.AsSpan(0, SampleCount);

    public int SampleCount { get; private set; }

    /// <summary>The quality series (empty when quality is off).</summary>
    public ReadOnlySpan<QualitySample> Quality => _quality.AsSpan(0, QualityCount);

    public int QualityCount { get; private set; }

    /// <summary>The quality settings, or null when quality is off.</summary>
    public QualityOptions? QualityOptions { get; private set; }

    public int QualitySeriesCount { get; private set; }

    public int MaxQualitySeries { get; private set; }

    public long QualityRejectedConnections { get; private set; }

    public IReadOnlyList<LifecycleSample> Lifecycle { get; private set; } = [];

    public IReadOnlyList<InterfaceCaptureStats> Interfaces { get; private set; } = [];

    /// <summary>Per capture point id, what it saw of connections counted at another point (may stop short of the last point).</summary>
    public IReadOnlyList<PointDuplicates> Duplicates { get; private set; } = [];

    /// <summary>Interface ids that were free at the snapshot (no capture point): nothing is written for them.</summary>
    public IReadOnlySet<ushort> FreeInterfaces { get; internal set; } = new HashSet<ushort>();

    public int TrackedConnections { get; private set; }

    public int MaxConnections { get; private set; }

    public int SeriesCount { get; private set; }

    public int MaxSeries { get; private set; }

    public long SeriesRejectedConnections { get; private set; }

    public ulong SeriesRejectedBytes { get; private set; }

    public ulong SeriesRejectedPackets { get; private set; }

    public long SeriesMergedConnections { get; private set; }

    /// <summary>
    /// Fills the snapshot from the pipeline (the caller holds the pipeline's lock). Series whose connections all ended
    /// leave the store here: this snapshot is the one that shows their final values.
    /// </summary>
    /// <param name="series">The store of the pipeline's connection series.</param>
    /// <param name="quality">The pipeline's connection quality; null when quality is off.</param>
    public void Capture(CapturePipeline pipeline, ConnectionSeriesStore series, QualityTracker? quality)
    {
        pipeline.Tracker.FlushCounters();
        SampleCount = series.Snapshot(ref _samples);
        QualityOptions = quality?.Options;
        QualityCount = quality?.Store.Snapshot(ref _quality) ?? 0;
        QualitySeriesCount = quality?.Store.Count ?? 0;
        MaxQualitySeries = quality?.Store.Capacity ?? 0;
        QualityRejectedConnections = quality?.Store.RejectedConnections ?? 0;
        Lifecycle = pipeline.Tracker.Lifecycle.Select(l => l.Sample()).OrderBy(l => l.Interface).ThenBy(l => l.Protocol).ToArray();
        Interfaces = pipeline.Stats.Select(s => s.Copy()).ToArray();
        Duplicates = pipeline.Tracker.Duplicates.Select(d => d.Copy()).ToArray();
        TrackedConnections = pipeline.Tracker.Count;
        MaxConnections = pipeline.Tracker.Capacity;
        SeriesCount = series.Count;
        MaxSeries = series.Capacity;
        SeriesRejectedConnections = series.RejectedConnections;
        SeriesRejectedBytes = series.UnexportedBytes;
        SeriesRejectedPackets = series.UnexportedPackets;
        SeriesMergedConnections = series.MergedConnections;
    }
}
