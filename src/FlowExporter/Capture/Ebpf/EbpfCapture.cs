using FlowExporter.Configuration;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Sources;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The live capture with the eBPF engine: the program attached to every configured interface (re-attached when the
/// link comes back under a new index), and a sweep every <see cref="EbpfOptions.SweepInterval"/> that drains the
/// program's maps (<see cref="EbpfSweeper"/>, no count lost between sweeps) into the connection table through
/// <see cref="ConnectionAccounting.Observe"/>. Each interface is an instance of the capture source, as with libpcap.
/// On stop it sweeps a last time and detaches every filter (and the clsact qdiscs it created).
/// </summary>
public sealed partial class EbpfCapture : BackgroundService, IMetricsContributor
{
    private static readonly MetricFamily Dropped = new(
        "flowexporter_capture_dropped_total",
        MetricType.Counter,
        "Packets the eBPF engine could not count, by reason: map_full (a new connection found the kernel map full; raise capture.ebpf.max_connections) or unknown_interface (counted on an interface that is no capture point).");

    private readonly ExporterOptions _options;
    private readonly EbpfPointOpener _opener;
    private readonly ConnectionAccounting _accounting;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<EbpfCapture> _logger;
    private readonly RateLimitedLog _warnings;
    private readonly EbpfSweeper _sweeper;
    private readonly Dictionary<string, EbpfPoint> _points = new(StringComparer.Ordinal);
    private readonly List<EbpfConnectionSample> _samples = [];
    private readonly List<ConnectionObservation> _observations = [];
    private readonly Func<int, ushort?> _interfaceId;
    private readonly Func<long, long> _toUnix;
    private long _mapFull;
    private long _unknownInterface;

    public EbpfCapture(
        ExporterOptions options,
        EbpfProgram program,
        EbpfPointOpener opener,
        EbpfInterfaceMap interfaces,
        ConnectionAccounting accounting,
        SourceHealth health,
        TimeProvider time,
        ILogger<EbpfCapture> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(interfaces);
        _options = options;
        _opener = opener;
        _accounting = accounting;
        _health = health;
        _time = time;
        _logger = logger;
        _warnings = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        _sweeper = new EbpfSweeper(program, time);
        _interfaceId = interfaces.Find;
        _toUnix = _sweeper.ToUnixNanoseconds;
        health.Register(LiveCapture.SourceName);
        foreach (var name in options.Capture.Interfaces)
        {
            health.RegisterInstance(LiveCapture.SourceName, name);
            accounting.RegisterInterface(name);
        }
    }

    public string CollectorName => "capture_ebpf";

    public void Write(ExpositionWriter writer)
    {
        writer.Family(Dropped);
        Sample(writer, "map_full", Interlocked.Read(ref _mapFull));
        Sample(writer, "unknown_interface", Interlocked.Read(ref _unknownInterface));
    }

    public override void Dispose()
    {
        DetachAll();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(_options.Capture.Ebpf.SweepInterval, _time);
        try
        {
            do
            {
                AttachConfigured();
                SweepOnce(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopping(_logger);
        }

        SweepOnce(CancellationToken.None);
        DetachAll();
        LogStopped(_logger);
    }

    /// <summary>Keeps one attachment per configured interface on the interface's current index.</summary>
    private void AttachConfigured()
    {
        foreach (var name in _options.Capture.Interfaces)
        {
            var index = InterfaceIndexes.Of(name);
            if (_points.TryGetValue(name, out var point))
            {
                if (point.InterfaceIndex == index)
                {
                    continue;
                }

                // The link is gone or came back as another device: its filters went with the old one.
                _points.Remove(name);
                point.Dispose();
            }

            if (index == 0)
            {
                MarkDown(name, "interface_missing", $"capture: interface {name} does not exist (yet); the eBPF program is attached when it appears");
                continue;
            }

            try
            {
                _points[name] = _opener.Open(index, name);
                _health.InstanceSucceeded(LiveCapture.SourceName, name, _time.GetUtcNow(), TimeSpan.Zero);
            }
            catch (EbpfException failure)
            {
                MarkDown(name, EngineSelector.Reason(failure.Kind), $"capture: attaching eBPF to {name} failed: {failure.Message}");
            }
        }
    }

    private void MarkDown(string name, string reason, string message)
    {
        if (_health.IsUp(LiveCapture.SourceName, name))
        {
            _health.InstanceFailed(LiveCapture.SourceName, name, reason, TimeSpan.Zero);
        }
        else
        {
            _health.InstanceDown(LiveCapture.SourceName, name, reason);
        }

        _warnings.Warn("attach:" + name, message);
    }

    private void SweepOnce(CancellationToken cancellationToken)
    {
        try
        {
            _samples.Clear();
            _observations.Clear();
            _sweeper.Sweep(_samples, cancellationToken);
            foreach (var sample in _samples)
            {
                if (EbpfObservations.TryFrom(sample, _interfaceId, _toUnix, out var observation))
                {
                    _observations.Add(observation);
                }
                else
                {
                    Interlocked.Add(ref _unknownInterface, (long)(sample.PacketsFromA + sample.PacketsFromB));
                }
            }

            if (_observations.Count > 0)
            {
                _accounting.Observe(_observations);
            }

            Interlocked.Exchange(ref _mapFull, (long)_sweeper.ReadCounters().MapFull);
        }
        catch (EbpfException failure)
        {
            _health.Failed(LiveCapture.SourceName, "sweep_failed", TimeSpan.Zero);
            _warnings.Warn("sweep", $"capture: reading the eBPF maps failed: {failure.Message}");
        }
    }

    private void DetachAll()
    {
        foreach (var point in _points.Values)
        {
            point.Dispose();
        }

        _points.Clear();
    }

    private void Sample(ExpositionWriter writer, string reason, long value)
    {
        writer.BeginSample(Dropped);
        writer.Label("node"u8, _options.Node);
        writer.Label("reason"u8, reason);
        writer.Value(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: stopping the eBPF engine (last sweep, then detach)")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: eBPF engine stopped, filters detached")]
    private static partial void LogStopped(ILogger logger);
}
