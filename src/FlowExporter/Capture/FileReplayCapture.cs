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
    private readonly CaptureFileFeed _feed;

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
        _feed = new CaptureFileFeed(accounting.Engine, _filter, _path, interfaces);

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
    /// One pass: frames whose (moved) time has come are fed in a batch of the engine; the first frame still in the
    /// future is kept aside while the pass waits for its time.
    /// </summary>
    private async Task ReplayPassAsync(DateTimeOffset passStart, CancellationToken cancellationToken)
    {
        var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var pass = new Pass(CaptureFileReader.Open(stream), Nanoseconds(passStart));
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = Nanoseconds(_time.GetUtcNow());
                var finished = _accounting.Engine.Batch((Self: this, Pass: pass, Now: now), static state => state.Self.FeedDue(state.Pass, state.Now));
                if (finished)
                {
                    if (pass.Reader.Problem is not null)
                    {
                        _logger.LogWarning("capture: replay of {File}: {Problem}", _path, pass.Reader.Problem);
                    }

                    return;
                }

                var wait = TimeSpan.FromTicks((pass.Pending!.Value.Timestamp - now + 99) / 100);
                await Task.Delay(wait < MaximumWait ? wait : MaximumWait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Feeds every frame due by <paramref name="now"/> (inside a batch); true once the file is finished.</summary>
    private bool FeedDue(Pass pass, long now)
    {
        if (pass.Pending is { } held && held.Timestamp <= now)
        {
            _feed.Accept(new CapturedFrame(held.InterfaceId, held.LinkType, held.Timestamp, held.WireLength, pass.PendingData.AsSpan(0, held.Length)));
            pass.Pending = null;
        }

        while (pass.Pending is null)
        {
            if (!pass.Reader.TryReadNext(out var frame))
            {
                return true;
            }

            pass.First ??= frame.TimestampNanoseconds;
            var moved = pass.Start + Math.Max(0, frame.TimestampNanoseconds - pass.First.Value);
            if (moved <= now)
            {
                _feed.Accept(new CapturedFrame(frame.InterfaceId, frame.LinkType, moved, frame.WireLength, frame.Data));
                continue;
            }

            if (pass.PendingData.Length < frame.Data.Length)
            {
                pass.PendingData = new byte[frame.Data.Length];
            }

            frame.Data.CopyTo(pass.PendingData);
            pass.Pending = new Pending(frame.InterfaceId, frame.LinkType, moved, frame.WireLength, frame.Data.Length);
        }

        return false;
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

    /// <summary>Where one pass is: its reader, its start, the file's first timestamp, and the frame kept aside.</summary>
    private sealed class Pass(CaptureFileReader reader, long start)
    {
        public CaptureFileReader Reader { get; } = reader;

        public long Start { get; } = start;

        public long? First { get; set; }

        public Pending? Pending { get; set; }

        public byte[] PendingData { get; set; } = new byte[256];
    }
}
