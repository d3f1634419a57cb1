using FlowExporter.Configuration;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// The live capture source: one thread per configured interface, all feeding the same connection table. Each interface
/// is an instance of the source (<c>flowexporter_source_instance_up{source="capture",instance}</c>); the source's
/// <c>up</c> is 1 while every interface is open (the SourceHealth rule). A missing interface is that instance down with
/// reason <c>interface_missing</c>, retried with the shared backoff. It also exports libpcap's own counters of frames
/// the kernel or the interface dropped.
/// </summary>
public sealed partial class LiveCapture : BackgroundService, IMetricsContributor
{
    public const string SourceName = "capture";

    private static readonly MetricFamily Dropped = new(
        "network_capture_dropped_packets_total",
        MetricType.Counter,
        "Frames lost before the exporter saw them, by reason: kernel (buffer full, libpcap ps_drop) or interface (ps_ifdrop).");

    private static readonly MetricFamily Received = new(
        "network_capture_kernel_received_packets_total",
        MetricType.Counter,
        "Frames that passed the capture filter in the kernel (libpcap ps_recv), by capture interface.");

    private static readonly MetricFamily InterfaceUp = new(
        "network_capture_interface_up",
        MetricType.Gauge,
        "1 while the capture interface is open, 0 while it is missing or failing (it is re-opened automatically).");

    private readonly ExporterOptions _options;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveCapture> _logger;
    private readonly List<InterfaceCapture> _interfaces = [];
    private readonly Lock _healthGate = new();

    public LiveCapture(ExporterOptions options, ConnectionAccounting accounting, SourceHealth health, TimeProvider time, ILogger<LiveCapture> logger)
    {
        _options = options;
        _health = health;
        _time = time;
        _logger = logger;
        health.Register(SourceName);
        foreach (var name in options.Capture.Interfaces)
        {
            health.RegisterInstance(SourceName, name);
            _interfaces.Add(new InterfaceCapture(accounting.RegisterInterface(name), options.Capture, time, logger));
        }
    }

    public void Write(ExpositionWriter writer)
    {
        UpdateHealth();
        writer.Family(InterfaceUp);
        foreach (var capture in _interfaces)
        {
            Begin(writer, InterfaceUp, capture);
            writer.Value(capture.IsOpen ? 1L : 0L);
        }

        writer.Family(Received);
        foreach (var capture in _interfaces)
        {
            Begin(writer, Received, capture);
            writer.Value(capture.KernelReceived);
        }

        writer.Family(Dropped);
        foreach (var capture in _interfaces)
        {
            Begin(writer, Dropped, capture);
            writer.Label("reason"u8, "kernel");
            writer.Value(capture.KernelDropped);
            Begin(writer, Dropped, capture);
            writer.Label("reason"u8, "interface");
            writer.Value(capture.InterfaceDropped);
        }
    }

    public override void Dispose()
    {
        foreach (var capture in _interfaces)
        {
            capture.Dispose();
        }

        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var threads = _interfaces
            .Select(capture => Task.Factory.StartNew(() => capture.Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        while (!stoppingToken.IsCancellationRequested)
        {
            UpdateHealth();
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(threads).ConfigureAwait(false);
        LogStopped(_logger);
    }

    /// <summary>Reports each interface as an instance: up while open; down with its reason, counted once per failure.</summary>
    private void UpdateHealth()
    {
        lock (_healthGate)
        {
            foreach (var capture in _interfaces)
            {
                var wasUp = _health.IsUp(SourceName, capture.Name);
                if (capture.IsOpen)
                {
                    _health.InstanceSucceeded(SourceName, capture.Name, _time.GetUtcNow(), TimeSpan.Zero);
                }
                else if (capture.LastReason is { } reason)
                {
                    if (wasUp)
                    {
                        _health.InstanceFailed(SourceName, capture.Name, reason, TimeSpan.Zero);
                    }
                    else
                    {
                        _health.InstanceDown(SourceName, capture.Name, reason);
                    }
                }
            }
        }
    }

    private void Begin(ExpositionWriter writer, MetricFamily family, InterfaceCapture capture)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _options.Node);
        writer.Label("interface"u8, capture.Name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: stopped, handles closed")]
    private static partial void LogStopped(ILogger logger);
}
