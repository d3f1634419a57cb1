namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// The result of one planning pass: the points to have open (each interface once, ordered by ifindex), the ones that
/// match but wait for their link to come up, the ones over <c>max_points</c> (counted, never opened), and how many
/// open points each selector label chose (every configured label present, 0 when it matches nothing).
/// </summary>
public sealed record DesiredSet(
    IReadOnlyList<PlannedPoint> Points,
    IReadOnlyList<PlannedPoint> Waiting,
    IReadOnlyList<PlannedPoint> OverLimit,
    IReadOnlyDictionary<string, int> PointsBySelector)
{
    public static DesiredSet Empty { get; } = new([], [], [], new Dictionary<string, int>());
}
