using System.ComponentModel;
using System.Net.Sockets;
using FlowExporter.Capture.Points;
using FlowExporter.Configuration;
using FlowExporter.Correlator.CapturePoints;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Ovs;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// The live capture source: capture points chosen by <c>capture.interfaces</c> (names, globs, <c>!</c> excludes) and
/// <c>capture.discover</c> (OVS pod ports, uplinks), opened and closed as rtnetlink and the OVS source report links
/// (<see cref="CapturePointManager"/>), each captured through the registered <see cref="ICapturePointOpener"/> and
/// feeding the same connection table. Each point is an instance of the source
/// (<c>flowexporter_source_instance_up{source="capture",instance}</c>); the source's <c>up</c> is 1 while every
/// existing matching point captures. An interface named explicitly stays an instance while it is missing (down, reason
/// <c>interface_missing</c>, opened when it appears); a discovered point whose link is deleted is gone, not down: its
/// instance and series leave.
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
        "1 while the capture point is capturing, 0 while an interface named explicitly is missing or a point is failing; a discovered point whose link is deleted leaves.");

    private static readonly MetricFamily PointInfo = new(
        "network_capture_point_info",
        MetricType.Gauge,
        "1 for each open capture point: the engine that counts it (ebpf or libpcap) and its role (uplink: an uplink or an interface named explicitly; pod_port: a pod's port, with the smaller ring).");

    private static readonly MetricFamily PointsBySelector = new(
        "network_capture_points",
        MetricType.Gauge,
        "Open capture points by the selector that chose them (a capture.interfaces entry as written, or discover:NAME); 0 for a selector that matches nothing.");

    private static readonly MetricFamily OverLimit = new(
        "network_capture_points_over_limit",
        MetricType.Gauge,
        "Interfaces that match a selector but are not captured because capture.max_points points are open.");

    private static readonly TimeSpan HealthInterval = TimeSpan.FromMilliseconds(250);

    private readonly ExporterOptions _options;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveCapture> _logger;
    private readonly IOvsSource? _ovs;
    private readonly CaptureSelectors _selectors;
    private readonly CapturePointPolicy _policy;
    private readonly CapturePointTable _table;
    private readonly IReadOnlySet<string> _named;
    private readonly HashSet<string> _discovered = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedMissing = new(StringComparer.Ordinal);
    private readonly Lock _healthGate = new();
    private CapturePointManager? _manager;
    private object? _lastOvsSnapshot;

    public LiveCapture(
        ExporterOptions options,
        ConnectionAccounting accounting,
        SourceHealth health,
        ICapturePointOpener opener,
        TimeProvider time,
        ILogger<LiveCapture> logger,
        IOvsSource? ovs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounting);
        _options = options;
        _health = health;
        _time = time;
        _logger = logger;
        _ovs = ovs;
        _selectors = options.Capture.Selectors();
        _policy = options.Capture.Policy();
        _named = _selectors.Includes
            .Select(s => s.Glob.LiteralName)
            .OfType<string>()
            .Where(name => !_selectors.IsExcluded(name))
            .ToHashSet(StringComparer.Ordinal);
        _table = new CapturePointTable(opener, _named, accounting.ReleaseInterface);
        health.Register(SourceName);
        foreach (var name in _named.Order(StringComparer.Ordinal))
        {
            health.RegisterInstance(SourceName, name);
            accounting.RegisterInterface(name);
        }

        if (_selectors.Discover.Contains(DiscoverySource.OvsPodPorts) && ovs is null)
        {
            LogOvsPodPortsWithoutOvs(logger);
        }
    }

    public void Write(ExpositionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        UpdateHealth();
        var points = _table.Views();
        writer.Family(InterfaceUp);
        foreach (var point in points)
        {
            Begin(writer, InterfaceUp, point.Name);
            writer.Value(point.IsCapturing ? 1L : 0L);
        }

        writer.Family(PointInfo);
        foreach (var point in points)
        {
            if (point.Handle is { } handle && point.Role is { } role)
            {
                Begin(writer, PointInfo, point.Name);
                writer.Label("engine"u8, handle.Engine);
                writer.Label("role"u8, role == CapturePointRole.PodPort ? "pod_port" : "uplink");
                writer.Value(1L);
            }
        }

        writer.Family(Received);
        foreach (var point in points)
        {
            Begin(writer, Received, point.Name);
            writer.Value(point.Counters.Received);
        }

        writer.Family(Dropped);
        foreach (var point in points)
        {
            Begin(writer, Dropped, point.Name);
            writer.Label("reason"u8, "kernel");
            writer.Value(point.Counters.KernelDropped);
            Begin(writer, Dropped, point.Name);
            writer.Label("reason"u8, "interface");
            writer.Value(point.Counters.InterfaceDropped);
        }

        var status = _manager?.Status ?? CapturePointStatus.Empty;
        writer.Family(PointsBySelector);
        foreach (var label in _selectors.Labels)
        {
            writer.BeginSample(PointsBySelector);
            writer.Label("node"u8, _options.Node);
            writer.Label("selector"u8, label);
            writer.Value(status.PointsBySelector.GetValueOrDefault(label));
        }

        writer.Family(OverLimit);
        writer.BeginSample(OverLimit);
        writer.Label("node"u8, _options.Node);
        writer.Value(status.OverLimit);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NetlinkSocket socket;
        try
        {
            socket = RtnetlinkWatcher.OpenSocket();
        }
        catch (Exception error) when (error is Win32Exception or SocketException)
        {
            LogNetlinkFailed(_logger, error.Message);
            _health.Failed(SourceName, "netlink_failed", TimeSpan.Zero);
            return;
        }

        using var watcher = new RtnetlinkWatcher(socket, _time, _logger);
        var manager = new CapturePointManager(_selectors, _policy, _table, _logger);
        Volatile.Write(ref _manager, manager);
        var watching = watcher.RunAsync(stoppingToken);
        var managing = manager.RunAsync(watcher.Updates, stoppingToken);
        while (!stoppingToken.IsCancellationRequested && !managing.IsCompleted)
        {
            FeedOvsPodPorts(manager);
            UpdateHealth();
            try
            {
                await Task.Delay(HealthInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        try
        {
            await Task.WhenAll(watching, managing).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogWatchFailed(_logger, error);
            _health.Failed(SourceName, "netlink_failed", TimeSpan.Zero);
        }

        LogStopped(_logger);
    }

    /// <summary>The OVS source's newest snapshot, when it changed, as the pod ports the manager plans with.</summary>
    private void FeedOvsPodPorts(CapturePointManager manager)
    {
        if (_ovs is null || !_selectors.Discover.Contains(DiscoverySource.OvsPodPorts))
        {
            return;
        }

        // Null while OVSDB reconnects: the pod ports stay as they were rather than every pod's point closing.
        if (_ovs.Latest is { } snapshot && !ReferenceEquals(snapshot, _lastOvsSnapshot))
        {
            _lastOvsSnapshot = snapshot;
            manager.UpdateOvsPodPorts(OvsPodPorts.From(snapshot));
        }
    }

    /// <summary>
    /// Reports each point as an instance: up while capturing; down with its reason, counted once per failure. A named
    /// interface that is missing stays an instance (down); a discovered point that closed is removed.
    /// </summary>
    private void UpdateHealth()
    {
        lock (_healthGate)
        {
            if (Volatile.Read(ref _manager) is not { Synchronized: true } manager)
            {
                return;
            }

            var status = manager.Status;
            var now = _time.GetUtcNow();
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var point in _table.Views())
            {
                present.Add(point.Name);
                if (point.Handle is { } handle)
                {
                    if (!point.Named && _discovered.Add(point.Name))
                    {
                        _health.RegisterInstance(SourceName, point.Name);
                    }

                    if (_reportedMissing.Remove(point.Name))
                    {
                        LogNamedBack(_logger, point.Name);
                    }

                    Report(point.Name, handle.IsCapturing, handle.LastReason, now);
                }
                else
                {
                    Report(point.Name, false, MissingReason(point.Name, status), now);
                }
            }

            foreach (var gone in _discovered.Where(name => !present.Contains(name)).ToList())
            {
                _discovered.Remove(gone);
                _health.RemoveInstance(SourceName, gone);
            }

            if (_health.Instances(SourceName).Count == 0)
            {
                _health.Succeeded(SourceName, now, TimeSpan.Zero);
            }
        }
    }

    /// <summary>Why a named interface has no open point: waiting for its link to come up, its open failed, or no such link.</summary>
    private string MissingReason(string name, CapturePointStatus status)
    {
        if (status.Waiting.Any(p => p.Name == name))
        {
            return "interface_down";
        }

        if (status.Failed.Any(k => k.Name == name))
        {
            return "open_failed";
        }

        if (_reportedMissing.Add(name))
        {
            LogNamedMissing(_logger, name, name);
        }

        return "interface_missing";
    }

    private void Report(string instance, bool capturing, string? reason, DateTimeOffset now)
    {
        if (capturing)
        {
            _health.InstanceSucceeded(SourceName, instance, now, TimeSpan.Zero);
        }
        else if (reason is not null)
        {
            if (_health.IsUp(SourceName, instance))
            {
                _health.InstanceFailed(SourceName, instance, reason, TimeSpan.Zero);
            }
            else
            {
                _health.InstanceDown(SourceName, instance, reason);
            }
        }
    }

    private void Begin(ExpositionWriter writer, MetricFamily family, string name)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _options.Node);
        writer.Label("interface"u8, name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: stopped, handles closed")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "capture: {Interface}: no such interface '{Name}'; it is opened when it appears (followed over rtnetlink)")]
    private static partial void LogNamedMissing(ILogger logger, string @interface, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: {Interface} is back (its link appeared again)")]
    private static partial void LogNamedBack(ILogger logger, string @interface);

    [LoggerMessage(Level = LogLevel.Error, Message = "capture: cannot follow the node's links over rtnetlink: {Problem}; no interface is captured")]
    private static partial void LogNetlinkFailed(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "capture: following the node's links over rtnetlink failed; capture points are closed")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "capture: capture.discover names ovs_pod_ports but the ovs section is not configured: no OVS pod port is captured")]
    private static partial void LogOvsPodPortsWithoutOvs(ILogger logger);
}
