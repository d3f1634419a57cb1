using FlowExporter.Configuration;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Sources;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The eBPF engine's user-space half: every <see cref="EbpfOptions.SweepInterval"/> it drains the program's maps
/// (<see cref="EbpfSweeper"/>: no count lost between sweeps) into the connection table through
/// <see cref="ConnectionAccounting.Observe"/>, under the table's lock as a batch of frames is. The points themselves
/// are opened and closed by the live capture through <see cref="EbpfPointOpener"/>; this service stops after it, so
/// its last sweep collects what was counted until the filters were detached.
/// </summary>
public sealed partial class EbpfSweepService : BackgroundService, IMetricsContributor
{
    private static readonly MetricFamily Dropped = new(
        "flowexporter_capture_dropped_total",
        MetricType.Counter,
        "Packets the eBPF engine could not count, by reason: map_full (a new connection found the kernel map full; raise capture.ebpf.max_connections) or unknown_interface (counted on an interface that is no capture point).");

    private static readonly MetricFamily SweepSeconds = new(
        "flowexporter_capture_ebpf_sweep_seconds",
        MetricType.Gauge,
        "How long the last eBPF sweep took: draining the kernel maps and feeding the connection table.");

    private static readonly MetricFamily SweepConnections = new(
        "flowexporter_capture_ebpf_sweep_connections",
        MetricType.Gauge,
        "Connections (map entries) the last eBPF sweep drained.");

    private static readonly MetricFamily Sweeps = new(
        "flowexporter_capture_ebpf_sweeps_total",
        MetricType.Counter,
        "eBPF sweeps completed: a scrape after this counter moved past a moment holds every packet counted in the kernel before it.");

    private readonly ExporterOptions _options;
    private readonly EbpfInterfaceMap _interfaces;
    private readonly ConnectionAccounting _accounting;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<EbpfSweepService> _logger;
    private readonly RateLimitedLog _warnings;
    private readonly EbpfSweeper _sweeper;
    private readonly List<EbpfConnectionSample> _samples = [];
    private readonly List<ConnectionObservation> _observations = [];
    private readonly Func<int, ushort?> _interfaceId;
    private readonly Func<long, long> _toUnix;
    private long _mapFull;
    private long _unknownInterface;
    private long _lastSweepTicks;
    private long _lastSweepConnections;
    private long _sweeps;

    public EbpfSweepService(
        ExporterOptions options,
        EbpfProgram program,
        EbpfInterfaceMap interfaces,
        ConnectionAccounting accounting,
        SourceHealth health,
        TimeProvider time,
        ILogger<EbpfSweepService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(interfaces);
        _options = options;
        _interfaces = interfaces;
        _accounting = accounting;
        _health = health;
        _time = time;
        _logger = logger;
        _warnings = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        _sweeper = new EbpfSweeper(program, time);
        _interfaceId = interfaces.Find;
        _toUnix = _sweeper.ToUnixNanoseconds;
    }

    public string CollectorName => "capture_ebpf";

    public void Write(ExpositionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Family(Dropped);
        Sample(writer, "map_full", Interlocked.Read(ref _mapFull));
        Sample(writer, "unknown_interface", Interlocked.Read(ref _unknownInterface));
        Single(writer, SweepSeconds, TimeSpan.FromTicks(Interlocked.Read(ref _lastSweepTicks)).TotalSeconds);
        Single(writer, SweepConnections, Interlocked.Read(ref _lastSweepConnections));
        Single(writer, Sweeps, Interlocked.Read(ref _sweeps));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(_options.Capture.Ebpf.SweepInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                SweepOnce(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopping(_logger);
        }

        SweepOnce(CancellationToken.None);
        LogStopped(_logger);
    }

    private void SweepOnce(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            _samples.Clear();
            _observations.Clear();
            _sweeper.Sweep(_samples, cancellationToken);
            foreach (var sample in _samples)
            {
                var packets = sample.PacketsFromA + sample.PacketsFromB;
                if (EbpfObservations.TryFrom(sample, _interfaceId, _toUnix, out var observation))
                {
                    _observations.Add(observation);
                    _interfaces.CountReceived(sample.InterfaceIndex, packets);
                }
                else
                {
                    Interlocked.Add(ref _unknownInterface, (long)packets);
                }
            }

            if (_observations.Count > 0)
            {
                _accounting.Observe(_observations);
            }

            Interlocked.Exchange(ref _mapFull, (long)_sweeper.ReadCounters().MapFull);
            Interlocked.Exchange(ref _lastSweepTicks, _time.GetElapsedTime(started).Ticks);
            Interlocked.Exchange(ref _lastSweepConnections, _samples.Count);
            Interlocked.Increment(ref _sweeps);
        }
        catch (EbpfException failure)
        {
            _health.Failed(LiveCapture.SourceName, "sweep_failed", TimeSpan.Zero);
            _warnings.Warn("sweep", $"capture: reading the eBPF maps failed: {failure.Message}");
        }
    }

    private void Sample(ExpositionWriter writer, string reason, long value)
    {
        writer.BeginSample(Dropped);
        writer.Label("node"u8, _options.Node);
        writer.Label("reason"u8, reason);
        writer.Value(value);
    }

    private void Single(ExpositionWriter writer, MetricFamily family, double value)
    {
        writer.Family(family);
        writer.BeginSample(family);
        writer.Label("node"u8, _options.Node);
        writer.Value(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: stopping the eBPF sweeps (one last sweep)")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: eBPF sweeps stopped")]
    private static partial void LogStopped(ILogger logger);
}
