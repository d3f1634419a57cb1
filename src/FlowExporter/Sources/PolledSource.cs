using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Sources;

/// <summary>
/// A source collected on its own interval, in the background, with a timeout per collection. Scrapes only read the
/// last snapshot, so a slow or failing source never slows or fails a scrape: after a failure its series are absent
/// (the snapshot is dropped) and <c>flowexporter_source_up{source}</c> is 0 until the next success. After a failure the
/// next attempt waits the shared <see cref="Backoff"/> (one interval doubling up to four) instead of the interval.
/// </summary>
public abstract class PolledSource<TSnapshot> : BackgroundService, IMetricsContributor
    where TSnapshot : class
{
    private readonly SourceHealth _health;
    private readonly RateLimitedLog _log;
    private TSnapshot? _latest;

    protected PolledSource(string name, TimeSpan interval, TimeSpan timeout, SourceHealth health, TimeProvider time, ILogger logger)
    {
        Name = name;
        Interval = interval;
        Timeout = timeout;
        Time = time;
        Logger = logger;
        _health = health;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        health.Register(name);
    }

    public string Name { get; }

    public TimeSpan Interval { get; }

    public TimeSpan Timeout { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    /// <summary>The last good snapshot, or null before the first success and after a failure.</summary>
    public TSnapshot? Latest => Volatile.Read(ref _latest);

    public void Write(ExpositionWriter writer)
    {
        var snapshot = Latest;
        if (snapshot is not null)
        {
            Write(writer, snapshot);
        }
    }

    /// <summary>Collects once, with the source's timeout; returns whether it succeeded.</summary>
    public async Task<bool> CollectOnceAsync(CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var snapshot = await CollectAsync(timeout.Token).ConfigureAwait(false);
            Volatile.Write(ref _latest, snapshot);
            _health.Succeeded(Name, Time.GetUtcNow(), Time.GetElapsedTime(started));
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _latest, null);
            var reason = ex is OperationCanceledException ? "timeout" : ReasonOf(ex);
            _health.Failed(Name, reason, Time.GetElapsedTime(started));
            var message = ex is OperationCanceledException
                ? $"{Name}: collection timed out after {Timeout.TotalSeconds:0.###}s"
                : $"{Name}: collection failed: {ex.Message}";
            _log.Warn(reason, message);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(Interval, 4 * Interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await CollectOnceAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!await backoff.WaitAsync(Time, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            backoff.Reset();
            try
            {
                await Task.Delay(Interval, Time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    protected abstract Task<TSnapshot> CollectAsync(CancellationToken cancellationToken);

    protected abstract void Write(ExpositionWriter writer, TSnapshot snapshot);

    /// <summary>A short, label-safe reason for a failure (overridable per source); never contains secrets.</summary>
    protected virtual string ReasonOf(Exception exception) => "error";
}
