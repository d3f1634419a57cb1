using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using FlowExporter.Configuration;
using FlowExporter.Hosting;
using FlowExporter.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Tests.Capture;

/// <summary><c>capture.replay_file</c> (testing and simulation): a capture file served as live capture would serve it.</summary>
public sealed class FileReplayCaptureTests : IDisposable
{
    private const int RequestBytes = 100;
    private const int ReplyBytes = 200;
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-replay-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_looped_replay_feeds_the_file_at_its_pace_as_if_now_and_its_counters_keep_growing()
    {
        // One UDP exchange: the request at 0 s, the reply 2 s later (the file's span, so a pass every 2 s).
        var file = Path.Combine(_directory, "replay.pcap");
        WriteCapture(file);
        var options = ExporterOptions.FromConfiguration(
            ConfigLoader.Load(null, new Dictionary<string, string>(), new Dictionary<string, string?>
            {
                ["listen"] = "127.0.0.1:0",
                ["node"] = "sim-node",
                ["capture:replay_file"] = file,
                ["capture:replay_loop"] = "true",
            }),
            "host");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var app = ExporterProgram.BuildApp(options, services => services.AddSingleton<TimeProvider>(time));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        // The request's time is now: fed at once; the reply waits for its time, and the source is not ready before the
        // first pass is complete.
        var metrics = await MetricsWhenAsync(client, 1);
        Assert.Equal(RequestBytes, Bytes(metrics, "initiator_to_target"));
        Assert.Equal(0, Bytes(metrics, "target_to_initiator"));
        Assert.Single(metrics.Named("flowexporter_source_up"), s => s.Has(("source", "capture")) && s.Value == 1);
        using (var notReady = await client.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }

        // 2 s later the reply is fed, the first pass ends (ready), and the second pass starts with the request again.
        time.Advance(TimeSpan.FromSeconds(2));
        metrics = await MetricsWhenAsync(client, 3);
        Assert.Equal(2 * RequestBytes, Bytes(metrics, "initiator_to_target"));
        Assert.Equal(ReplyBytes, Bytes(metrics, "target_to_initiator"));
        using (var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(2));
        metrics = await MetricsWhenAsync(client, 5);
        Assert.Equal(3 * RequestBytes, Bytes(metrics, "initiator_to_target"));
        Assert.Equal(2 * ReplyBytes, Bytes(metrics, "target_to_initiator"));

        // Still the one connection (its series kept, not a new one per pass), labelled as live capture labels it.
        var series = metrics.Named("network_connection_bytes_total").ToList();
        Assert.Equal(2, series.Count);
        Assert.All(series, s => Assert.True(s.Has(("node", "sim-node"), ("interface", "replay.pcap"), ("protocol", "udp"), ("initiator_ip", "10.1.0.1"), ("target_port", "53"))));
        Assert.Single(metrics.Named("flowexporter_source_up"), s => s.Has(("source", "capture")) && s.Value == 1);
        await app.StopAsync();
    }

    [Theory]
    [InlineData("capture:replay_loop", "true", null, "flowexporter: config: capture.replay_loop: needs capture.replay_file")]
    [InlineData("capture:replay_file", "/nonexistent/fe-replay.pcap", null, "flowexporter: config: capture.replay_file: /nonexistent/fe-replay.pcap: no such file")]
    [InlineData("capture:replay_file", "FILE", "veth1", "flowexporter: config: capture.replay_file: cannot be combined with capture.interfaces (replay is for testing and simulation)")]
    public async Task A_bad_replay_setting_stops_the_start_with_one_line(string key, string value, string? captureInterface, string expected)
    {
        var file = Path.Combine(_directory, "replay.pcap");
        WriteCapture(file);
        var environment = new Dictionary<string, string> { ["FLOWEXPORTER_" + key.ToUpperInvariant().Replace(":", "__", StringComparison.Ordinal)] = value.Replace("FILE", file, StringComparison.Ordinal) };
        var args = new List<string> { "--listen", "127.0.0.1:0" };
        if (captureInterface is not null)
        {
            args.AddRange(["--interface", captureInterface]);
        }

        using var output = new MemoryStream();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ExporterProgram.RunAsync([.. args], output, error, environment, timeout.Token);
        Assert.Equal(2, exit);
        Assert.Equal(expected + "\n", error.ToString().ReplaceLineEndings("\n"));
    }

    private static double Bytes(IReadOnlyList<Sample> metrics, string direction) =>
        metrics.Named("network_connection_bytes_total").Where(s => s.Has(("direction", direction))).Sum(s => s.Value);

    /// <summary>Scrapes until the capture has delivered <paramref name="packets"/> frames (bounded).</summary>
    private static async Task<IReadOnlyList<Sample>> MetricsWhenAsync(HttpClient client, int packets)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<Sample> metrics = [];
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            metrics = Exposition.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            var delivered = metrics.Named("network_capture_packets_total").Sum(s => s.Value);
            if (delivered == packets)
            {
                return metrics;
            }

            Assert.True(delivered < packets, $"{delivered} frames delivered, more than the {packets} expected");
            await Task.Delay(20);
        }

        throw new TimeoutException($"the capture did not deliver {packets} frames within 20s");
    }

    /// <summary>A classic pcap: a UDP request 10.1.0.1:40000 -> 10.1.0.2:53 at 0 s and its reply at 2 s.</summary>
    private static void WriteCapture(string path)
    {
        using var file = File.Create(path);
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
        file.Write(header);
        Frame(file, 1_600_000_000, [10, 1, 0, 1], 40000, [10, 1, 0, 2], 53, RequestBytes);
        Frame(file, 1_600_000_002, [10, 1, 0, 2], 53, [10, 1, 0, 1], 40000, ReplyBytes);
    }

    private static void Frame(Stream file, uint seconds, byte[] source, ushort sourcePort, byte[] destination, ushort destinationPort, int length)
    {
        var frame = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(length - 14));
        frame[22] = 64;
        frame[23] = 17;
        source.CopyTo(frame, 26);
        destination.CopyTo(frame, 30);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(36), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(38), (ushort)(length - 34));
        var record = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(record, seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)length);
        file.Write(record);
        file.Write(frame);
    }
}
