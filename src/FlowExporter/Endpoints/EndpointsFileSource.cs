using System.Threading.Channels;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Sources;

namespace FlowExporter.Endpoints;

/// <summary>
/// The static endpoints file as a metadata source. Read and validated when constructed (a bad file stops the start
/// with a <see cref="Configuration.ConfigException"/>), then read again whenever it changes: a <see cref="FileSystemWatcher"/> on its
/// folder, and as a fallback a check of its modification time and size every <see cref="EndpointsFileOptions.CheckInterval"/>.
/// A reload that fails (missing, unreadable, invalid) keeps the last good content, counts the error, logs at a
/// bounded rate, and sets <c>flowexporter_source_up{source="endpoints_file"}</c> to 0 until the file is good again.
/// </summary>
public sealed class EndpointsFileSource : BackgroundService, IEndpointIndexSource
{
    public const string SourceName = "endpoints_file";

    private readonly EndpointsFileOptions _options;
    private readonly string _path;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly RateLimitedLog _log;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private EndpointIndex _current;
    private (DateTime Modified, long Length) _stamp;
    private long _reloads;
    private FileSystemWatcher? _watcher;
    private Backoff? _unreadable;

    public EndpointsFileSource(EndpointsFileOptions options, SourceHealth health, TimeProvider time, ILogger<EndpointsFileSource> logger)
    {
        _options = options;
        _path = options.Path ?? throw new ArgumentException("the endpoints file source needs a path", nameof(options));
        _health = health;
        _time = time;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        health.Register(SourceName);
        _stamp = TryStamp();
        _current = EndpointsFileOptions.Validate(_path);

        health.Succeeded(SourceName, time.GetUtcNow(), TimeSpan.Zero);
    }

    public EndpointIndex Current => Volatile.Read(ref _current);

    /// <summary>Successful reloads since start (for tests and logs).</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>Reads the file again now; returns whether it was good (if not, the last good content stays).</summary>
    public bool Reload()
    {
        try
        {
            var stamp = Stamp();
            var index = EndpointsFileParser.Parse(File.ReadAllText(_path));
            _stamp = stamp;
            Volatile.Write(ref _current, index);
            Interlocked.Increment(ref _reloads);
            _unreadable = null;
            _health.Succeeded(SourceName, _time.GetUtcNow(), TimeSpan.Zero);
            return true;
        }
        catch (Exception ex) when (ex is EndpointsFileException or IOException or UnauthorizedAccessException)
        {
            var reason = ex switch
            {
                EndpointsFileException => "invalid",
                FileNotFoundException or DirectoryNotFoundException => "missing",
                _ => "unreadable",
            };
            _stamp = TryStamp();

            // An unreadable file (permissions, I/O) can be fixed without a new modification time: retry it with the
            // shared backoff. Invalid content is read again only when the file changes.
            _unreadable = reason == "unreadable" ? _unreadable ?? new Backoff(TimeSpan.FromMilliseconds(500), _options.CheckInterval) : null;
            _health.Failed(SourceName, reason, TimeSpan.Zero);
            _log.Warn(reason, $"{EndpointsFileParser.Key}: reload of '{_path}' failed, keeping the last good content: {ex.Message}");
            return false;
        }
    }

    /// <summary>Starts watching for changes before returning, so that no change after start can be missed.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.WatchForChanges)
        {
            _watcher ??= CreateWatcher();
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Also covers a change between the first read and the start of the watch.
            if (TryStamp() != _stamp)
            {
                Reload();
            }

            var retry = _unreadable;
            bool notified;
            using (var wait = new CancellationTokenSource(retry is null ? _options.CheckInterval : retry.Next(), _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, wait.Token))
            {
                try
                {
                    await _changed.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
                    _changed.Reader.TryRead(out _);
                    notified = true;
                    await Task.Delay(_options.SettleDelay, _time, stoppingToken).ConfigureAwait(false);
                    _changed.Reader.TryRead(out _);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    notified = false;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (notified || retry is not null)
            {
                Reload();
            }
        }
    }

    private FileSystemWatcher? CreateWatcher()
    {
        try
        {
            var folder = Path.GetDirectoryName(_path)!;

            // Watch the whole folder: editors replace files by rename, and Kubernetes swaps a ConfigMap's ..data link.
            var watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
                IncludeSubdirectories = false,
            };
            watcher.Changed += (_, _) => _changed.Writer.TryWrite(true);
            watcher.Created += (_, _) => _changed.Writer.TryWrite(true);
            watcher.Deleted += (_, _) => _changed.Writer.TryWrite(true);
            watcher.Renamed += (_, _) => _changed.Writer.TryWrite(true);
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            _log.Warn("watch", $"{EndpointsFileParser.Key}: cannot watch for changes ({ex.Message}); checking every {_options.CheckInterval.TotalSeconds:0.###}s instead");
            return null;
        }
    }

    private (DateTime Modified, long Length) Stamp()
    {
        var info = new FileInfo(_path);
        return (info.LastWriteTimeUtc, info.Length);
    }

    private (DateTime Modified, long Length) TryStamp()
    {
        try
        {
            return Stamp();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return default;
        }
    }
}
