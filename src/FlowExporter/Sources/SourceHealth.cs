using Prometheus;

namespace FlowExporter.Sources;

/// <summary>
/// The per-source health series (<c>flowexporter_source_up</c>, last success, collection duration), one set per source,
/// in the exporter's own prometheus-net registry.
/// </summary>
public sealed class SourceHealth
{
    private readonly Gauge _up;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _duration;
    private readonly Counter _errors;

    public SourceHealth(IMetricFactory factory)
    {
        _up = factory.CreateGauge("flowexporter_source_up", "1 when the source's last collection succeeded, 0 when it failed.", ["source"]);
        _lastSuccess = factory.CreateGauge(
            "flowexporter_source_last_success_timestamp_seconds", "Unix time of the source's last successful collection.", ["source"]);
        _duration = factory.CreateGauge(
            "flowexporter_source_collection_duration_seconds", "How long the source's last collection took.", ["source"]);
        _errors = factory.CreateCounter(
            "flowexporter_source_errors_total", "Failed collections or bad inputs of a source, by reason.", ["source", "reason"]);
    }

    /// <summary>Registers a source so that its series exist (with up 0) before its first collection.</summary>
    public void Register(string source) => _up.WithLabels(source).Set(0);

    public void Succeeded(string source, DateTimeOffset at, TimeSpan duration)
    {
        _up.WithLabels(source).Set(1);
        _lastSuccess.WithLabels(source).Set(at.ToUnixTimeMilliseconds() / 1000.0);
        _duration.WithLabels(source).Set(duration.TotalSeconds);
    }

    public void Failed(string source, string reason, TimeSpan duration)
    {
        // Counted before up drops: whoever sees up at 0 also sees the failure that caused it.
        _errors.WithLabels(source, reason).Inc();
        _duration.WithLabels(source).Set(duration.TotalSeconds);
        _up.WithLabels(source).Set(0);
    }

    /// <summary>Marks a source down without counting another error (a state that persists, not a new failure).</summary>
    public void Down(string source) => _up.WithLabels(source).Set(0);

    public bool IsUp(string source) => _up.WithLabels(source).Value >= 1;
}
