using Prometheus;

namespace FlowExporter.Ipfix;

/// <summary>The IPFIX sender's own series, per collector (docs/ipfix.md).</summary>
public sealed class IpfixMetrics
{
    public const string Sent = "sent";
    public const string QueueFull = "queue_full";
    public const string NotConnected = "not_connected";
    public const string SendFailed = "send_failed";

    public IpfixMetrics(IMetricFactory factory)
    {
        Records = factory.CreateCounter(
            "flowexporter_ipfix_records_total",
            "Flow records per collector by result: sent, or dropped as queue_full (the collector's queue was full), not_connected (TCP collector down) or send_failed.",
            ["collector", "result"]);
        Messages = factory.CreateCounter("flowexporter_ipfix_messages_total", "IPFIX messages sent per collector.", ["collector"]);
        Bytes = factory.CreateCounter("flowexporter_ipfix_bytes_total", "IPFIX message bytes sent per collector.", ["collector"]);
        Up = factory.CreateGauge(
            "flowexporter_ipfix_collector_up", "1 while records can be sent to the collector (UDP: resolved; TCP: connected), else 0.", ["collector"]);
        Queued = factory.CreateGauge("flowexporter_ipfix_queue_records", "Flow records waiting in the collector's queue.", ["collector"]);
    }

    public Counter Records { get; }

    public Counter Messages { get; }

    public Counter Bytes { get; }

    public Gauge Up { get; }

    public Gauge Queued { get; }
}
