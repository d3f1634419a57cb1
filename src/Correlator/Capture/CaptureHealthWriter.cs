using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// Writes the health of capture and of the connection table: connections opened, active, closed and dropped per
/// capture interface and protocol, the table's and the series store's sizes and bounds, and frames captured,
/// malformed and ignored per capture interface.
/// </summary>
internal sealed class CaptureHealthWriter
{
    private static readonly MetricFamily Active = new(
        "network_connections_active", MetricType.Gauge, "Connections in the table, by capture interface and protocol.");

    private static readonly MetricFamily Opened = new(
        "network_connections_opened_total", MetricType.Counter, "Connections that entered the table.");

    private static readonly MetricFamily Closed = new(
        "network_connections_closed_total",
        MetricType.Counter,
        "Connections that left the table, by reason: fin (FIN both ways), rst, timeout (idle), evicted (table full).");

    private static readonly MetricFamily Dropped = new(
        "network_connections_dropped_total",
        MetricType.Counter,
        "New connections not tracked because the table was full and no connection was idle long enough to evict.");

    private static readonly MetricFamily Tracked = new(
        "network_connections_tracked", MetricType.Gauge, "Connections in the table, all interfaces.");

    private static readonly MetricFamily TrackedMax = new(
        "network_connections_tracked_max", MetricType.Gauge, "The table's bound (connections.max).");

    private static readonly MetricFamily SeriesCount = new(
        "network_connection_series", MetricType.Gauge, "Connection series exported (each has a bytes and a packets sample per direction).");

    private static readonly MetricFamily SeriesMax = new(
        "network_connection_series_max", MetricType.Gauge, "The bound on exported connection series (connections.max_series).");

    private static readonly MetricFamily SeriesRejected = new(
        "network_connection_series_rejected_total",
        MetricType.Counter,
        "Connections tracked but not exported because the series bound was reached.");

    private static readonly MetricFamily SeriesRejectedBytes = new(
        "network_connection_series_rejected_bytes_total",
        MetricType.Counter,
        "Wire bytes of connections not exported because the series bound was reached (both directions).");

    private static readonly MetricFamily SeriesRejectedPackets = new(
        "network_connection_series_rejected_packets_total",
        MetricType.Counter,
        "Packets of connections not exported because the series bound was reached (both directions).");

    private static readonly MetricFamily SeriesMerged = new(
        "network_connection_series_merged_total",
        MetricType.Counter,
        "Connections counted into a series that already existed (the same label set: merged by connections.aggregation, or a tuple reused). Opened connections = series created + merged + rejected.");

    private static readonly MetricFamily CapturePackets = new(
        "network_capture_packets_total", MetricType.Counter, "Frames the capture delivered, by capture interface.");

    private static readonly MetricFamily CaptureBytes = new(
        "network_capture_bytes_total", MetricType.Counter, "Wire bytes of the frames the capture delivered, by capture interface.");

    private static readonly MetricFamily DuplicatePackets = new(
        "network_capture_point_duplicate_packets_total",
        MetricType.Counter,
        "Packets a capture point saw of connections counted at another point (connections.count_at: node), left out of the connection series.");

    private static readonly MetricFamily DuplicateBytes = new(
        "network_capture_point_duplicate_bytes_total",
        MetricType.Counter,
        "Wire bytes a capture point saw of connections counted at another point (connections.count_at: node), left out of the connection series.");

    private static readonly MetricFamily Malformed = new(
        "network_capture_malformed_packets_total",
        MetricType.Counter,
        "Frames that could not be decoded, by reason: truncated, bad_header_length, bad_version, unsupported.");

    private static readonly MetricFamily Ignored = new(
        "network_capture_ignored_packets_total",
        MetricType.Counter,
        "Well-formed frames counted in no connection, by reason: not_ip, table_full, orphan_fragment, probe.");

    private static readonly (DecodeResult Result, string Label)[] MalformedReasons =
    [
        (DecodeResult.Truncated, "truncated"),
        (DecodeResult.BadHeaderLength, "bad_header_length"),
        (DecodeResult.BadVersion, "bad_version"),
        (DecodeResult.Unsupported, "unsupported"),
    ];

    private static readonly (IgnoredReason Reason, string Label)[] IgnoredReasons =
    [
        (IgnoredReason.NotIp, "not_ip"),
        (IgnoredReason.TableFull, "table_full"),
        (IgnoredReason.OrphanFragment, "orphan_fragment"),
        (IgnoredReason.Probe, "probe"),
    ];

    private readonly string _node;

    public CaptureHealthWriter(string node)
    {
        _node = node;
    }

    public void Write(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> names)
    {
        WriteLifecycle(writer, snapshot, names);
        WriteCapture(writer, snapshot, names);
    }

    private void WriteLifecycle(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> names)
    {
        writer.Family(Active);
        foreach (var l in snapshot.Lifecycle)
        {
            BeginInterfaceProtocol(writer, Active, names, l);
            writer.Value(l.Active);
        }

        writer.Family(Opened);
        foreach (var l in snapshot.Lifecycle)
        {
            BeginInterfaceProtocol(writer, Opened, names, l);
            writer.Value(l.Opened);
        }

        writer.Family(Closed);
        foreach (var l in snapshot.Lifecycle)
        {
            foreach (var (reason, value) in new[] { ("fin", l.ClosedFin), ("rst", l.ClosedRst), ("timeout", l.ClosedTimeout), ("evicted", l.ClosedEvicted) })
            {
                BeginInterfaceProtocol(writer, Closed, names, l);
                writer.Label("reason"u8, reason);
                writer.Value(value);
            }
        }

        writer.Family(Dropped);
        foreach (var l in snapshot.Lifecycle)
        {
            BeginInterfaceProtocol(writer, Dropped, names, l);
            writer.Value(l.Dropped);
        }

        WriteNodeGauge(writer, Tracked, snapshot.TrackedConnections);
        WriteNodeGauge(writer, TrackedMax, snapshot.MaxConnections);
        WriteNodeGauge(writer, SeriesCount, snapshot.SeriesCount);
        WriteNodeGauge(writer, SeriesMax, snapshot.MaxSeries);
        WriteNodeGauge(writer, SeriesRejected, snapshot.SeriesRejectedConnections);
        WriteNodeGauge(writer, SeriesRejectedBytes, snapshot.SeriesRejectedBytes);
        WriteNodeGauge(writer, SeriesRejectedPackets, snapshot.SeriesRejectedPackets);
        WriteNodeGauge(writer, SeriesMerged, snapshot.SeriesMergedConnections);
    }

    private void WriteCapture(ExpositionWriter writer, ConnectionSnapshot snapshot, IReadOnlyList<string> names)
    {
        writer.Family(CapturePackets);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            if (snapshot.FreeInterfaces.Contains((ushort)i))
            {
                continue;
            }

            BeginInterface(writer, CapturePackets, names, i);
            writer.Value(snapshot.Interfaces[i].Packets);
        }

        writer.Family(CaptureBytes);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            if (snapshot.FreeInterfaces.Contains((ushort)i))
            {
                continue;
            }

            BeginInterface(writer, CaptureBytes, names, i);
            writer.Value(snapshot.Interfaces[i].Bytes);
        }

        writer.Family(DuplicatePackets);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            if (snapshot.FreeInterfaces.Contains((ushort)i))
            {
                continue;
            }

            BeginInterface(writer, DuplicatePackets, names, i);
            writer.Value(i < snapshot.Duplicates.Count ? snapshot.Duplicates[i].Packets : 0);
        }

        writer.Family(DuplicateBytes);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            if (snapshot.FreeInterfaces.Contains((ushort)i))
            {
                continue;
            }

            BeginInterface(writer, DuplicateBytes, names, i);
            writer.Value(i < snapshot.Duplicates.Count ? snapshot.Duplicates[i].Bytes : 0);
        }

        writer.Family(Malformed);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            if (snapshot.FreeInterfaces.Contains((ushort)i))
            {
                continue;
            }

            foreach (var (result, label) in MalformedReasons)
            {
                BeginInterface(writer, Malformed, names, i);
                writer.Label("reason"u8, label);
                writer.Value(snapshot.Interfaces[i].Malformed(result));
            }
        }

        writer.Family(Ignored);
        for (var i = 0; i < snapshot.Interfaces.Count; i++)
        {
            if (snapshot.FreeInterfaces.Contains((ushort)i))
            {
                continue;
            }

            foreach (var (reason, label) in IgnoredReasons)
            {
                BeginInterface(writer, Ignored, names, i);
                writer.Label("reason"u8, label);
                writer.Value(snapshot.Interfaces[i].Ignored(reason));
            }
        }
    }

    private void WriteNodeGauge(ExpositionWriter writer, MetricFamily family, long value) => NodeGauge.Write(writer, family, _node, value);

    private void WriteNodeGauge(ExpositionWriter writer, MetricFamily family, ulong value) => NodeGauge.Write(writer, family, _node, value);

    private void BeginInterfaceProtocol(ExpositionWriter writer, MetricFamily family, IReadOnlyList<string> names, LifecycleSample lifecycle)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _node);
        writer.Label("interface"u8, NameOf(names, lifecycle.Interface));
        writer.Label("protocol"u8, IpProtocol.Name(lifecycle.Protocol));
    }

    private void BeginInterface(ExpositionWriter writer, MetricFamily family, IReadOnlyList<string> names, int index)
    {
        writer.BeginSample(family);
        writer.Label("node"u8, _node);
        writer.Label("interface"u8, NameOf(names, index));
    }

    private static string NameOf(IReadOnlyList<string> names, int index) =>
        index < names.Count ? names[index] : $"if{index}";
}
