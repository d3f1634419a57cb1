using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Tests.Connections;

/// <summary>A connection table with its series (and quality, when asked), as the exporter composes it.</summary>
internal sealed class CountAtTable
{
    private readonly ConnectionSeriesStore _series = new(1000);
    private readonly QualityTracker? _quality;

    public CountAtTable(CountAt countAt, bool quality = false)
    {
        var keys = new SeriesKeyFactory();
        _quality = quality ? new QualityTracker(new QualityOptions { Aggregation = AggregationLevel.Connection }, new QualitySeriesStore(1000), _series, keys) : null;
        Tracker = new ConnectionTracker(
            new ConnectionTrackerOptions { CountAt = countAt },
            new ConnectionSeries(_series, keys, AggregationLevel.Connection),
            _quality);
    }

    public ConnectionTracker Tracker { get; }

    public void Frame(ushort point, DecodedPacket packet, int bytes, long at) =>
        Assert.True(Tracker.Observe(point, packet, packet.SourcePort, packet.DestinationPort, bytes, at));

    public SeriesSample[] Snapshot()
    {
        Tracker.FlushCounters();
        var buffer = Array.Empty<SeriesSample>();
        var count = _series.Snapshot(ref buffer);
        return buffer[..count];
    }

    public QualitySample[] QualitySnapshot()
    {
        var buffer = Array.Empty<QualitySample>();
        var count = _quality!.Store.Snapshot(ref buffer);
        return buffer[..count];
    }

    public LifecycleSample[] Lifecycle() => [.. Tracker.Lifecycle.Select(l => l.Sample()).OrderBy(l => l.Interface).ThenBy(l => l.Protocol)];
}
