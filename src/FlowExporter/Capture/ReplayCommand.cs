using FlowExporter.Configuration;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Http;
using FlowExporter.Sources;
using OurFormat = FlowExporter.Correlator.Exposition.ExpositionFormat;

namespace FlowExporter.Capture;

/// <summary>
/// <c>flowexporter replay FILE</c>: the capture engine of the exporter's own composition (its replay role) over a
/// file, with the file's timestamps as the clock, then one exposition streamed to standard output. The interface
/// label is the pcapng interface name where recorded, else the file's name.
/// </summary>
public static class ReplayCommand
{
    /// <param name="services">The exporter's services composed for replay (no web host, nothing started).</param>
    public static async Task<int> RunAsync(IServiceProvider services, string path, OurFormat format, Stream output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Stream stream;
        try
        {
            // The reader pulls 1 MiB at a time into its own window: a second buffer here would only copy.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
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

            var options = services.GetRequiredService<ExporterOptions>();
            var accounting = services.GetRequiredService<ConnectionAccounting>();
            var sinks = services.GetServices<IReplaySink>().ToArray();
            foreach (var sink in sinks)
            {
                sink.Start();
            }
            using var filter = new FileFilter(options.Capture.Bpf);
            if (!filter.IsEmpty)
            {
                foreach (var described in reader.Interfaces)
                {
                    filter.Validate(described.LinkType);
                }
            }

            var feed = new CaptureFileFeed(accounting.Engine, path);
            using var decoding = new FileDecodingThread(reader, filter, accounting.Engine.Options.Decoder, cancellationToken);
            try
            {
                feed.AcceptAll(decoding);
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"flowexporter: replay: {path}: read failed: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            if (reader.Problem is not null)
            {
                await error.WriteLineAsync($"flowexporter: replay: {path}: warning: {reader.Problem}; {decoding.Frames} frames were read before it").ConfigureAwait(false);
            }

            if (sinks.Length > 0)
            {
                // The file's end ends what is still open; its records go out before the exposition is printed.
                accounting.EmitOpenRecords();
                foreach (var sink in sinks)
                {
                    await sink.FinishAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            services.GetRequiredService<SourceHealth>().Succeeded(LiveCapture.SourceName, DateTimeOffset.FromUnixTimeMilliseconds(accounting.Engine.Now / 1_000_000), TimeSpan.Zero);
            var writer = new StreamBufferWriter(output);
            try
            {
                await services.GetRequiredService<MetricsExposition>().RenderAsync(writer, format, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                // A contributor failed after part of its output was streamed: the output is incomplete, so say so.
                await error.WriteLineAsync($"flowexporter: replay: {path}: the exposition could not be completed: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            writer.Flush();
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message,
    };
}
