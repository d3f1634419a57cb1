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
        Engine = new CaptureEngine(new CaptureEngineOptions
        {
            Decoder = decoder ?? DecoderOptions.Default,
            Connections = tracker ?? new ConnectionTrackerOptions(),
            MaxSeries = maxSeries,
            Quality = quality ?? QualityOptions.Disabled,
            MaxFragments = 1024,
        });
    }

    public CaptureEngine Engine { get; }

    public ConnectionSeriesStore Series => Engine.Series;

    public CapturePipeline Pipeline => Engine.Pipeline;

    /// <summary>Connection quality, when on.</summary>
    public QualityTracker? Quality => Engine.Quality;

    public CaptureFileReader Run(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = CaptureFileReader.Open(stream);
        Engine.Batch(reader, Pipeline.ProcessAll);
        return reader;
    }

    public ConnectionSnapshot Snapshot()
    {
        var snapshot = new ConnectionSnapshot();
        Engine.Snapshot(snapshot, advanceToNanoseconds: null);
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
