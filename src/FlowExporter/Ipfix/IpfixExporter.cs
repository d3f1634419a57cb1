using FlowExporter.Capture;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Sources;

namespace FlowExporter.Ipfix;

/// <summary>
/// The connection table's flow-record sink: hands each record to every collector's queue (never waits, except in
/// replay), and runs the collectors' send loops.
/// </summary>
public sealed partial class IpfixExporter : IFlowRecordSink, IReplaySink, IAsyncDisposable
{
    /// <summary>The sink's name in the shared source health (one instance per collector, named by its address).</summary>
    public const string SourceName = "ipfix";

    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly IpfixCollector[] _collectors;
    private readonly CancellationTokenSource _stopping = new();
    private Task[] _loops = [];
    private int _disposed;

    public IpfixExporter(IpfixOptions options, FlowRecordNamer namer, IpfixMetrics metrics, TimeProvider clock, ILoggerFactory logs, bool replay = false, SourceHealth? health = null)
    {
        Options = options;
        _clock = clock;

        // A sink does not gate readiness: a collector that is down loses records (counted), not the node's series, so
        // its instances are for information and the source itself is up while the sender runs.
        health?.Register(SourceName, instancesGate: false);
        health?.Succeeded(SourceName, clock.GetUtcNow(), TimeSpan.Zero);
        _log = logs.CreateLogger("FlowExporter.Ipfix");
        _collectors = options.Collectors
            .Select(address => new IpfixCollector(address, options, namer, metrics, clock, _log, fileTime: replay, waitWhenFull: replay, health))
            .ToArray();
    }

    public IpfixOptions Options { get; }

    public TimeSpan ActiveTimeout => Options.ActiveTimeout;

    public void Emit(in FlowRecord record)
    {
        foreach (var collector in _collectors)
        {
            collector.Enqueue(record);
        }
    }

    public void Start()
    {
        _loops = _collectors.Select(c => Task.Run(() => c.RunAsync(_stopping.Token))).ToArray();
    }

    /// <summary>A replay's end: sends what is queued (for at most five minutes), then stops.</summary>
    public Task FinishAsync(CancellationToken cancellationToken) => StopAsync(TimeSpan.FromMinutes(5), cancellationToken);

    /// <summary>Sends what is queued (for at most <paramref name="timeout"/>), then stops.</summary>
    public async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var collector in _collectors)
        {
            collector.Complete();
        }

        try
        {
            await Task.WhenAll(_loops).WaitAsync(timeout, _clock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // What is still queued is lost: stopping must not hang on a collector.
            LogStopTimedOut(_log, timeout.TotalSeconds);
        }
        finally
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Idempotent: the container disposes it once under each service it is registered as.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var collector in _collectors)
        {
            await collector.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ipfix: stopping: records still queued after {Seconds}s are dropped")]
    private static partial void LogStopTimedOut(ILogger logger, double seconds);
}
