using System.Buffers;
using System.Text;
using FlowExporter.Capture;
using FlowExporter.Configuration;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Tests.Capture;

/// <summary>
/// A replay reads and decodes its file on a thread of its own (<see cref="FileDecodingThread"/>) while the table works
/// on the caller's: what it accounts must be exactly what the one-thread path accounts, frame for frame.
/// </summary>
public sealed class FileDecodingThreadTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "pcap");

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Fixtures).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Decoding_on_its_own_thread_accounts_every_capture_as_the_one_thread_path(string name)
    {
        var path = Path.Combine(Fixtures, name);
        var (oneThread, oneThreadFrames) = Account(path, decodedApart: false, bpf: string.Empty);
        var (twoThreads, twoThreadsFrames) = Account(path, decodedApart: true, bpf: string.Empty);
        Assert.Equal(oneThreadFrames, twoThreadsFrames);
        Assert.Equal(oneThread, twoThreads);
    }

    [Fact]
    public void The_capture_filter_applies_on_the_decoding_thread_as_on_the_one_thread_path()
    {
        var path = Path.Combine(Fixtures, "http-tcp-ethernet.pcap");
        var (oneThread, _) = Account(path, decodedApart: false, bpf: "tcp port 80 and tcp[tcpflags] & tcp-syn != 0");
        var (twoThreads, _) = Account(path, decodedApart: true, bpf: "tcp port 80 and tcp[tcpflags] & tcp-syn != 0");
        Assert.Equal(oneThread, twoThreads);
        Assert.Contains("network_connection_packets_total", twoThreads, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_fails_to_read_fails_the_replay_with_the_read_error()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures, "http-tcp-ethernet.pcap"));
        using var stream = new FailingStream(bytes, failAfter: bytes.Length / 2);
        var reader = CaptureFileReader.Open(stream);
        var accounting = new ConnectionAccounting(Options(string.Empty), clock: null);
        var feed = new CaptureFileFeed(accounting.Engine, "broken.pcap");
        using var filter = new FileFilter(string.Empty);
        using var decoding = new FileDecodingThread(reader, filter, accounting.Engine.Options.Decoder, CancellationToken.None);
        var failure = Assert.Throws<IOException>(() => feed.AcceptAll(decoding));
        Assert.Equal("disk gone", failure.Message);
    }

    private static ExporterOptions Options(string bpf) => ExporterOptions.FromConfiguration(
        ConfigLoader.Load(null, new Dictionary<string, string>(), new Dictionary<string, string?> { ["capture:bpf"] = bpf }),
        "host");

    private static (string Exposition, long Frames) Account(string path, bool decodedApart, string bpf)
    {
        var options = Options(bpf);

        // Quality on: its sequence analysis sees every field the decoder fills, so a field lost between threads shows.
        var accounting = new ConnectionAccounting(options, clock: null, quality: options.Quality with { Enabled = true });
        using var stream = File.OpenRead(path);
        var reader = CaptureFileReader.Open(stream);
        using var filter = new FileFilter(options.Capture.Bpf);
        long frames;
        if (decodedApart)
        {
            var feed = new CaptureFileFeed(accounting.Engine, path);
            using var decoding = new FileDecodingThread(reader, filter, accounting.Engine.Options.Decoder, CancellationToken.None);
            feed.AcceptAll(decoding);
            frames = decoding.Frames;
        }
        else
        {
            var feed = new CaptureFileFeed(accounting.Engine, filter, path, reader.Interfaces);
            feed.AcceptAll(reader);
            frames = feed.Frames;
        }

        var buffer = new ArrayBufferWriter<byte>();
        accounting.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText));
        return (Encoding.UTF8.GetString(buffer.WrittenSpan), frames);
    }

    /// <summary>A stream whose reads fail once <paramref name="failAfter"/> bytes have been read.</summary>
    private sealed class FailingStream(byte[] bytes, int failAfter) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= failAfter)
            {
                throw new IOException("disk gone");
            }

            return base.Read(buffer, offset, (int)Math.Min(count, failAfter - Position));
        }

        public override int Read(Span<byte> buffer)
        {
            if (Position >= failAfter)
            {
                throw new IOException("disk gone");
            }

            return base.Read(buffer[..(int)Math.Min(buffer.Length, failAfter - Position)]);
        }
    }
}
