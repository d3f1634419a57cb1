using FlowExporter.Configuration;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// The live capture source: one thread per configured interface, all feeding the same connection table. Its health
/// (<c>flowexporter_source_up{source="capture"}</c>) is 1 while every interface is open; it also exports libpcap's
/// own counters of frames the kernel or the interface dropped.
/// </summary>
public sealed class LiveCapture : BackgroundService, IMetricsContributor
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
    private readonly Readiness _readiness;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveCapture> _logger;
    private readonly List<InterfaceCapture> _interfaces = [];
    private bool _wasUp = true;

    public LiveCapture(ExporterOptions options, ConnectionAccounting accounting, SourceHealth health, Readiness readiness, TimeProvider time, ILogger<LiveCapture> logger)
    {
        _options = options;
        _health = health;
        _readiness = readiness;
        _time = time;
        _logger = logger;
        health.Register(SourceName);
        readiness.Register(SourceName);
        foreach (var name in options.Capture.Interfaces)
        {
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
        _logger.LogInformation("capture: stopped, handles closed");
    }

    private void UpdateHealth()
    {
        var up = _interfaces.All(c => c.IsOpen);
        if (up)
        {
            _health.Succeeded(SourceName, _time.GetUtcNow(), TimeSpan.Zero);
        }
        else if (_wasUp && _interfaces.All(c => c.WasOpened))
        {
            _health.Failed(SourceName, "interface_down", TimeSpan.Zero);
        }
        else
        {
            _health.Down(SourceName);
        }

        _wasUp = up;

        if (_interfaces.All(c => c.WasOpened))
        {
            _readiness.MarkReady(SourceName);
        }
    }

    private void Begin(ExpositionWriter writer, MetricFamily family, InterfaceCapture capture)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _options.Node);
        writer.Label("interface"u8, capture.Name);
    }
}
