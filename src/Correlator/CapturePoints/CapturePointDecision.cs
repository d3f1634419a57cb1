namespace FlowExporter.Correlator.CapturePoints;

/// <summary>What the manager must do to one point to move from what is open to what is desired.</summary>
public abstract record CapturePointDecision(CapturePointKey Key)
{
    public sealed record Open(PlannedPoint Point) : CapturePointDecision(Point.Key);

    public sealed record Close(CapturePointKey Point, CloseReason Reason) : CapturePointDecision(Point);
}
