namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// One interface to capture on: its index and name (a rename or a new index is another point), its role and ring
/// size, and every selector label that chose it (for the points-by-selector gauge).
/// </summary>
public sealed record PlannedPoint(int Index, string Name, CapturePointRole Role, int BufferBytes, IReadOnlyList<string> Selectors)
{
    /// <summary>The identity a point is opened and closed under.</summary>
    public CapturePointKey Key => new(Index, Name);
}
