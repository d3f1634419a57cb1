using FlowExporter.Configuration;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// Testing and simulation (<c>capture.replay_file</c>): feeds a capture file into the same connection table that live
/// capture feeds, at the file's recorded pace and as if its traffic happened now (every timestamp is moved so that the
/// pass starts at the current time), then serves it as live capture would. With <c>capture.replay_loop</c> the file is
/// replayed again every <see cref="PassPeriod"/>, so the same connections stay open and their counters keep growing.
/// The source is up from the start of the replay and ready once the first pass has been fed.
/// </summary>
public sealed class FileReplayCapture : BackgroundService
{
    private static readonly TimeSpan MinimumPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumWait = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly bool _loop;
    private readonly FileFilter _filter;
    private readonly ConnectionAccounting _accounting;
    private readonly SourceHealth _health;
    private readonly Readiness _readiness;
    private readonly TimeProvider _time;
    private readonly ILogger<FileReplayCapture> _logger;
    private readonly List<ushort> _interfaceIds = [];
    private byte[] _pending = new byte[256];

    public FileReplayCapture(ExporterOptions options, ConnectionAccounting accounting, SourceHealth health, Readiness readiness, TimeProvider time, ILogger<FileReplayCapture> logger)
    {
        _path = options.Capture.ReplayFile ?? throw new ArgumentException("capture.replay_file is not set", nameof(options));
        _loop = options.Capture.ReplayLoop;
        _accounting = accounting;
        _health = health;
        _readiness = readiness;
        _time = time;
        _logger = logger;
        _filter = new FileFilter(options.Capture.Bpf);

        // The file is checked at start, like any other configured source: a bad file stops the start with one line.
        var (span, interfaces) = Inspect(_path, _filter);
        PassPeriod = span > MinimumPeriod ? span : MinimumPeriod;
        var fileName = Path.GetFileName(_path);
        for (var i = 0; i < interfaces.Count; i++)
        {
            var name = interfaces[i].Name ?? (interfaces.Count == 1 ? fileName : $"{fileName}#{i}");
            _interfaceIds.Add(accounting.RegisterInterface(name));
        }

        health.Register(LiveCapture.SourceName);
        readiness.Register(LiveCapture.SourceName);
    }

    /// <summary>Time between the starts of two passes: the file's span (first to last frame), at least one second.</summary>
    public TimeSpan PassPeriod { get; }

    public override void Dispose()
    {
        _filter.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var passStart = _time.GetUtcNow();
        _logger.LogInformation("capture: replaying {File} (testing/simulation), a pass every {Seconds:0.###}s, loop {Loop}", _path, PassPeriod.TotalSeconds, _loop);
        _health.Succeeded(LiveCapture.SourceName, passStart, TimeSpan.Zero);
        try
        {
            do
            {
                await ReplayPassAsync(passStart, stoppingToken).ConfigureAwait(false);
                _health.Succeeded(LiveCapture.SourceName, _time.GetUtcNow(), TimeSpan.Zero);
                _readiness.MarkReady(LiveCapture.SourceName);
                passStart += PassPeriod;
                var wait = passStart - _time.GetUtcNow();
                if (_loop && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
                }
            }
            while (_loop && !stoppingToken.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or CaptureFileException)
        {
            _health.Failed(LiveCapture.SourceName, "replay_failed", TimeSpan.Zero);
            _logger.LogError("capture: replay of {File} failed: {Problem}", _path, ex.Message);
        }
    }

    /// <summary>
    /// One pass: frames whose (moved) time has come are fed in a batch under the table's lock; the first frame still in
    /// the future is kept aside while the pass waits for its time.
    /// </summary>
    private async Task ReplayPassAsync(DateTimeOffset passStart, CancellationToken cancellationToken)
    {
        var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var reader = CaptureFileReader.Open(stream);
            var startNanoseconds = Nanoseconds(passStart);
            long? first = null;
            Pending? pending = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = Nanoseconds(_time.GetUtcNow());
                var finished = false;
                lock (_accounting.Gate)
                {
                    if (pending is { } held && held.Timestamp <= now)
                    {
                        Feed(new CapturedFrame(held.InterfaceId, held.LinkType, held.Timestamp, held.WireLength, _pending.AsSpan(0, held.Length)));
                        pending = null;
                    }

                    while (pending is null)
                    {
                        if (!reader.TryReadNext(out var frame))
                        {
                            finished = true;
                            break;
                        }

                        first ??= frame.TimestampNanoseconds;
                        var moved = startNanoseconds + Math.Max(0, frame.TimestampNanoseconds - first.Value);
                        if (moved <= now)
                        {
                            Feed(new CapturedFrame(frame.InterfaceId, frame.LinkType, moved, frame.WireLength, frame.Data));
                            continue;
                        }

                        if (_pending.Length < frame.Data.Length)
                        {
                            _pending = new byte[frame.Data.Length];
                        }

                        frame.Data.CopyTo(_pending);
                        pending = new Pending(frame.InterfaceId, frame.LinkType, moved, frame.WireLength, frame.Data.Length);
                    }
                }

                if (finished)
                {
                    if (reader.Problem is not null)
                    {
                        _logger.LogWarning("capture: replay of {File}: {Problem}", _path, reader.Problem);
                    }

                    return;
                }

                var wait = TimeSpan.FromTicks((pending!.Value.Timestamp - now + 99) / 100);
                await Task.Delay(wait < MaximumWait ? wait : MaximumWait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Feed(in CapturedFrame frame)
    {
        if (frame.InterfaceId >= _interfaceIds.Count || !_filter.Matches(frame.LinkType, frame.Data, frame.WireLength))
        {
            return;
        }

        _accounting.ProcessLocked(_interfaceIds[frame.InterfaceId], frame);
    }

    private static long Nanoseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static (TimeSpan Span, IReadOnlyList<CaptureInterface> Interfaces) Inspect(string path, FileFilter filter)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var reader = CaptureFileReader.Open(stream);
            long? first = null;
            long last = 0;
            var interfaces = new List<CaptureInterface>();
            while (reader.TryReadNext(out var frame))
            {
                first ??= frame.TimestampNanoseconds;
                last = Math.Max(last, frame.TimestampNanoseconds);
            }

            interfaces.AddRange(reader.Interfaces);
            if (!filter.IsEmpty)
            {
                foreach (var described in interfaces)
                {
                    filter.Validate(described.LinkType);
                }
            }

            return (first is null ? TimeSpan.Zero : TimeSpan.FromTicks((last - first.Value) / 100), interfaces);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CaptureFileException)
        {
            var problem = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message,
            };
            throw new ConfigException("capture.replay_file", $"{path}: {problem}");
        }
    }

    private readonly record struct Pending(int InterfaceId, int LinkType, long Timestamp, int WireLength, int Length);
}
