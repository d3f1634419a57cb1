using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Net;
using FlowExporter.Ipfix;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.Bench;

/// <summary>
/// The live path with IPFIX export (issue 18): the in-process capture pipeline over one file, export off and export on
/// to a stalled TCP collector (a listener that accepts and never reads), alternating in the same run, best of three;
/// then the sender alone (records/s to a UDP socket on loopback, the producer waiting for room as replay does).
/// Prints "name: value unit" lines.
/// </summary>
internal static class IpfixPipelineBench
{
    public static int Run(string path)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await listener.AcceptSocketAsync().ConfigureAwait(false)); // never read
            }
        });

        var off = new List<double>();
        var on = new List<double>();
        long dropped = 0, emitted = 0, sent = 0;
        for (var round = 0; round < 3; round++)
        {
            off.Add(PipelineRate(path, null).Rate);
            var registry = Metrics.NewCustomRegistry();
            var metrics = new IpfixMetrics(Metrics.WithCustomRegistry(registry));
            var exporter = Exporter($"tcp://127.0.0.1:{port}", metrics, replay: false);
            exporter.Start();
            var counting = new CountingSink(exporter);
            var (rate, _) = PipelineRate(path, counting);
            on.Add(rate);
            var label = exporter.Options.Collectors[0].ToString();
            emitted = counting.Count;
            sent = (long)metrics.Records.WithLabels(label, IpfixMetrics.Sent).Value;
            dropped = (long)(metrics.Records.WithLabels(label, IpfixMetrics.QueueFull).Value
                + metrics.Records.WithLabels(label, IpfixMetrics.SendFailed).Value
                + metrics.Records.WithLabels(label, IpfixMetrics.NotConnected).Value);
            exporter.StopAsync(TimeSpan.FromSeconds(2), CancellationToken.None).GetAwaiter().GetResult();
            exporter.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pipeline export off: {off.Max():0} packets/s (best of 3)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pipeline export on, tcp collector stalled: {on.Max():0} packets/s (best of 3)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio on/off: {on.Max() / off.Max():0.000}"));
        Console.WriteLine($"stalled run: {emitted} records emitted, {sent} sent (before the socket buffers filled), {dropped} dropped (counted)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MiB"));

        SenderAlone(emitted > 0 ? (int)Math.Min(emitted, 500_000) : 200_000);
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }

        return 0;
    }

    private static IpfixExporter Exporter(string collector, IpfixMetrics metrics, bool replay) => new(
        new IpfixOptions { Collectors = [IpfixCollectorAddress.Parse("bench", collector)], SendTimeout = TimeSpan.FromMilliseconds(300) },
        new FlowRecordNamer("bench-node", null, _ => "eth0"),
        metrics,
        TimeProvider.System,
        NullLoggerFactory.Instance,
        replay);

    private static (double Rate, long Packets) PipelineRate(string path, IFlowRecordSink? sink)
    {
        var engine = new CaptureEngine(new CaptureEngineOptions
        {
            Node = "node-0",
            Connections = new ConnectionTrackerOptions { MaxConnections = 200_000 },
            MaxSeries = 200_000,
            FlowRecords = sink,
            FlowActiveTimeout = TimeSpan.FromSeconds(1),
        });
        using var stream = File.OpenRead(path);
        var reader = CaptureFileReader.Open(stream);
        var watch = Stopwatch.StartNew();
        engine.Batch(reader, engine.Pipeline.ProcessAll);
        engine.EmitOpenRecords();
        watch.Stop();
        var frames = CountFrames(path);
        return (frames / watch.Elapsed.TotalSeconds, frames);
    }

    private static long CountFrames(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = CaptureFileReader.Open(stream);
        long frames = 0;
        while (reader.TryReadNext(out _))
        {
            frames++;
        }

        return frames;
    }

    /// <summary>Records/s the sender sustains alone: UDP to a bound socket on loopback, the producer waiting for room.</summary>
    private static void SenderAlone(int records)
    {
        using var sinkSocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sinkSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)sinkSocket.LocalEndPoint!).Port;
        var registry = Metrics.NewCustomRegistry();
        var metrics = new IpfixMetrics(Metrics.WithCustomRegistry(registry));
        var exporter = Exporter($"udp://127.0.0.1:{port}", metrics, replay: true);
        exporter.Start();
        var record = new FlowRecord(
            0, IpProtocol.Tcp, IpAddress.Parse("10.0.0.9"), 40000, IpAddress.Parse("10.0.0.1"), 80, 1_000_000_000, 2_000_000_000,
            new FlowCounts(300, 342, 3, 0x1b), new FlowCounts(100, 128, 2, 0x12), 0, FlowEndReason.EndOfFlow, InitiatorEvidence.Syn, 0);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < records; i++)
        {
            exporter.Emit(record);
        }

        exporter.FinishAsync(CancellationToken.None).GetAwaiter().GetResult();
        watch.Stop();
        var label = exporter.Options.Collectors[0].ToString();
        var sent = metrics.Records.WithLabels(label, IpfixMetrics.Sent).Value;
        var bytes = metrics.Bytes.WithLabels(label).Value;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sender alone (udp, loopback): {sent / watch.Elapsed.TotalSeconds:0} records/s ({sent} records, {bytes / sent:0.0} bytes/record on the wire)"));
        exporter.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private sealed class CountingSink(IFlowRecordSink inner) : IFlowRecordSink
    {
        public long Count { get; private set; }

        public TimeSpan ActiveTimeout => TimeSpan.FromSeconds(1);

        public void Emit(in FlowRecord record)
        {
            Count++;
            inner.Emit(record);
        }
    }
}
