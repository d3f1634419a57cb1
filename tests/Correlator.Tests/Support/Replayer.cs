using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Tests.Support;

/// <summary>Runs a capture file through the real pipeline and hands back the snapshot and its exposition.</summary>
internal sealed class Replayer
{
    public Replayer(ConnectionTrackerOptions? tracker = null, DecoderOptions? decoder = null, int maxSeries = 100_000, QualityOptions? quality = null)
    {
        Series = new ConnectionSeriesStore(maxSeries);
        var keys = new SeriesKeyFactory();
        Quality = quality is { Enabled: true } ? new QualityTracker(quality, new QualitySeriesStore(quality.MaxSeries), Series, keys) : null;
        tracker ??= new ConnectionTrackerOptions();
        Pipeline = new CapturePipeline(
            new FrameDecoder(decoder ?? DecoderOptions.Default),
            new ConnectionTracker(tracker, new ConnectionSeries(Series, keys, tracker.Aggregation), Quality),
            new FragmentTracker(1024, TimeSpan.FromSeconds(30)));
    }

    public ConnectionSeriesStore Series { get; }

    public CapturePipeline Pipeline { get; }

    /// <summary>Connection quality, when on.</summary>
    public QualityTracker? Quality { get; }

    public CaptureFileReader Run(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = CaptureFileReader.Open(stream);
        Pipeline.ProcessAll(reader);
        return reader;
    }

    public ConnectionSnapshot Snapshot()
    {
        var snapshot = new ConnectionSnapshot();
        snapshot.Capture(Pipeline, Series, Quality);
        return snapshot;
    }

    public static string Render(ConnectionSnapshot snapshot, IReadOnlyList<string> names, ExpositionFormat format = ExpositionFormat.PrometheusText)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, format);
        new ConnectionMetricsWriter("test-node", SeriesNaming.Prometheus).Write(writer, snapshot, names);
        writer.End();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
