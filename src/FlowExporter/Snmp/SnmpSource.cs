using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Sources;

namespace FlowExporter.Snmp;

/// <summary>
/// Polls every configured switch in the background, each on its own interval, at most
/// <see cref="SnmpOptions.MaxConcurrentTargets"/> at once; a poll may take at most its target's interval. Scrapes only
/// read the last snapshots. Per-target health goes out as network_switch_* series (docs/snmp.md) and, through
/// <see cref="SourceHealth"/>, as <c>flowexporter_source_instance_up{source="snmp",instance=TARGET}</c> under one
/// <c>flowexporter_source_up{source="snmp"}</c>. After a failed poll a target waits the shared <see cref="Backoff"/>
/// (its interval, doubling up to four intervals) instead of its interval.
/// </summary>
public sealed partial class SnmpSource : BackgroundService, IMetricsContributor
{
    private readonly SnmpOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RateLimitedLog _log;
    private readonly SourceHealth? _health;
    private readonly SemaphoreSlim _concurrency;
    private readonly PortMap _portMap;
    private readonly SnmpTarget[] _targets;

    public const string SourceName = "snmp";

    public SnmpSource(SnmpOptions options, TimeProvider time, ILogger<SnmpSource> logger, SourceHealth? health = null)
        : this(options, time, logger, health, target => new UdpSnmpTransport(target.Host, target.Port, target.Timeout, target.Retries, time))
    {
    }

    internal SnmpSource(SnmpOptions options, TimeProvider time, ILogger<SnmpSource> logger, SourceHealth? health, Func<SnmpTargetOptions, ISnmpTransport> transports)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transports);
        _options = options;
        _time = time;
        _logger = logger;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        _health = health;
        _concurrency = new SemaphoreSlim(options.MaxConcurrentTargets, options.MaxConcurrentTargets);
        _portMap = new PortMap(options.PortMap);
        _targets = options.Targets.Select(t => new SnmpTarget(t, transports(t), time)).ToArray();
        _health?.Register(SourceName);
        foreach (var target in _targets)
        {
            _health?.RegisterInstance(SourceName, target.Options.Name);
        }
    }

    internal IReadOnlyList<SnmpTarget> Targets => _targets;

    public void Write(ExpositionWriter writer)
    {
        var snapshots = _targets.Select(t => t.Snapshot).OfType<SwitchSnapshot>().ToArray();
        SwitchSeriesWriter.Write(writer, snapshots, _portMap, _targets.Select(t => t.Status).ToArray());
    }

    /// <summary>Polls one target once (waiting for a concurrency slot); returns whether it succeeded.</summary>
    internal async Task<bool> PollOnceAsync(SnmpTarget target, CancellationToken cancellationToken)
    {
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        try
        {
            using var deadline = new CancellationTokenSource(target.Options.Interval, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            var snapshot = await target.PollAsync(linked.Token).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(started);
            target.Succeeded(snapshot, _time.GetUtcNow(), elapsed);
            _health?.InstanceSucceeded(SourceName, target.Options.Name, _time.GetUtcNow(), elapsed);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var (reason, message) = ex switch
            {
                SnmpRequestException snmp => (snmp.Failure.Label(), snmp.Message),
                OperationCanceledException => ("poll_deadline", $"the poll took longer than the interval ({target.Options.Interval.TotalSeconds:0.###}s)"),
                SnmpDecodeException decode => ("malformed_response", decode.Message),
                _ => ("error", ex.GetType().Name),
            };
            var elapsed = _time.GetElapsedTime(started);
            target.Failed(reason, elapsed);
            _health?.InstanceFailed(SourceName, target.Options.Name, reason, elapsed);
            if (_log.ShouldLog($"{target.Options.Name}:{reason}", out var suppressed))
            {
                LogPollFailed(_logger, target.Options.Name, reason, message, suppressed);
            }
            return false;
        }
        finally
        {
            _concurrency.Release();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogPolling(_logger, _targets.Length, _options.MaxConcurrentTargets);

        return Task.WhenAll(_targets.Select(t => RunAsync(t, stoppingToken)));
    }

    private async Task RunAsync(SnmpTarget target, CancellationToken stoppingToken)
    {
        var backoff = new Backoff(target.Options.Interval, 4 * target.Options.Interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = _time.GetTimestamp();
            try
            {
                if (await PollOnceAsync(target, stoppingToken).ConfigureAwait(false))
                {
                    backoff.Reset();
                    var wait = target.Options.Interval - _time.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
                    }
                }
                else if (!await backoff.WaitAsync(_time, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "snmp: {Target}: poll failed ({Reason}): {Problem} ({Suppressed} similar messages suppressed)")]
    private static partial void LogPollFailed(ILogger logger, string target, string reason, string problem, long suppressed);

    [LoggerMessage(Level = LogLevel.Information, Message = "snmp: polling {Count} switch(es), at most {Concurrency} at once")]
    private static partial void LogPolling(ILogger logger, int count, int concurrency);

    public override void Dispose()
    {
        foreach (var target in _targets)
        {
            target.Dispose();
        }

        _concurrency.Dispose();
        base.Dispose();
    }
}
