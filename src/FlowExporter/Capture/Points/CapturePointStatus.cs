using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Points;

/// <summary>
/// The manager's state after its last pass, for health series: points open, waiting for their link to come up, over
/// <c>max_points</c>, whose open failed, and points per selector label.
/// </summary>
public sealed record CapturePointStatus(
    IReadOnlyList<PlannedPoint> Open,
    IReadOnlyList<PlannedPoint> Waiting,
    int OverLimit,
    IReadOnlyList<CapturePointKey> Failed,
    IReadOnlyDictionary<string, int> PointsBySelector)
{
    public static CapturePointStatus Empty { get; } = new([], [], 0, [], new Dictionary<string, int>());
}
