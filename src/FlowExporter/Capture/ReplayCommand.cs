using FlowExporter.Configuration;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Endpoints;
using FlowExporter.Hosting;
using FlowExporter.Http;
using FlowExporter.Ipfix;
using FlowExporter.Sources;
using Prometheus;
using OurFormat = FlowExporter.Correlator.Exposition.ExpositionFormat;

namespace FlowExporter.Capture;

/// <summary>
/// <c>flowexporter replay FILE</c>: the capture pipeline over a file, with the file's timestamps as the clock, then
/// one exposition on standard output. The interface label is the pcapng interface name where recorded, else the
/// file's name.
/// </summary>
public static class ReplayCommand
{
    public static async Task<int> RunAsync(ExporterOptions options, string path, OurFormat format, Stream output, TextWriter error, CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            await error.WriteLineAsync($"flowexporter: replay: {path}: {Describe(ex)}").ConfigureAwait(false);
            return 2;
        }

        await using (stream.ConfigureAwait(false))
        {
            CaptureFileReader reader;
            try
            {
                reader = CaptureFileReader.Open(stream);
            }
            catch (CaptureFileException ex)
            {
                await error.WriteLineAsync($"flowexporter: replay: {path}: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"flowexporter: replay: {path}: cannot read: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            // The static endpoints file (validated when the options were read) labels pods in replay too.
            var endpointsFile = EndpointsFileOptions.FromConfiguration(options.Root);
            var endpoints = endpointsFile.Path is { } endpointsPath ? EndpointsFileParser.Parse(await File.ReadAllTextAsync(endpointsPath, cancellationToken).ConfigureAwait(false)) : null;
            var registry = Metrics.NewCustomRegistry();
            var factory = Metrics.WithCustomRegistry(registry);
            ConnectionAccounting? named = null;
            await using var ipfix = options.Ipfix.Enabled
                ? new IpfixExporter(
                    options.Ipfix,
                    new FlowRecordNamer(options.Node, endpoints is null ? null : () => endpoints, id => named?.InterfaceName(id) ?? string.Empty),
                    new IpfixMetrics(factory),
                    TimeProvider.System,
                    Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
                    replay: true)
                : null;
            var accounting = new ConnectionAccounting(options, clock: null, endpoints is null ? null : () => endpoints, ipfix);
            named = accounting;
            ipfix?.Start();
            using var filter = new FileFilter(options.Capture.Bpf);
            if (!filter.IsEmpty)
            {
                foreach (var described in reader.Interfaces)
                {
                    filter.Validate(described.LinkType);
                }
            }

            long frames;
            try
            {
                frames = Process(reader, accounting, filter, Path.GetFileName(path));
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"flowexporter: replay: {path}: read failed: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            if (reader.Problem is not null)
            {
                await error.WriteLineAsync($"flowexporter: replay: {path}: warning: {reader.Problem}; {frames} frames were read before it").ConfigureAwait(false);
            }

            if (ipfix is not null)
            {
                // The file's end ends what is still open; its records go out before the exposition is printed.
                accounting.EmitOpenRecords();
                await ipfix.StopAsync(TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
            }

            BuildInfo.Register(factory);
            var health = new SourceHealth(factory);
            health.Succeeded(LiveCapture.SourceName, DateTimeOffset.FromUnixTimeMilliseconds(accounting.Pipeline.Tracker.Now / 1_000_000), TimeSpan.Zero);
            var exposition = new MetricsExposition(registry, [accounting]);
            using var buffer = new SegmentedBuffer(new ExpositionBufferPool());
            await exposition.RenderAsync(buffer, format, cancellationToken).ConfigureAwait(false);
            await buffer.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
    }

    private static long Process(CaptureFileReader reader, ConnectionAccounting accounting, FileFilter filter, string fileName)
    {
        var ids = new List<ushort>();
        long frames = 0;
        lock (accounting.Gate)
        {
            while (reader.TryReadNext(out var frame))
            {
                while (ids.Count <= frame.InterfaceId && ids.Count < reader.Interfaces.Count)
                {
                    var described = reader.Interfaces[ids.Count];
                    var name = described.Name ?? (reader.Interfaces.Count == 1 && ids.Count == 0 ? fileName : $"{fileName}#{ids.Count}");
                    ids.Add(accounting.RegisterInterface(name));
                }

                frames++;
                if (!filter.Matches(frame.LinkType, frame.Data, frame.WireLength))
                {
                    continue;
                }

                accounting.ProcessLocked(ids[frame.InterfaceId], frame);
            }
        }

        return frames;
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message,
    };
}
