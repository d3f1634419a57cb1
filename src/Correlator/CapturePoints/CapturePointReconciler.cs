namespace FlowExporter.Correlator.CapturePoints;

/// <summary>Compares the open points with a desired set and lists the closes (first) and opens that move one to the other.</summary>
public static class CapturePointReconciler
{
    /// <param name="open">The keys currently open.</param>
    /// <param name="desired">The latest plan.</param>
    /// <param name="present">Indexes of the links present now, to tell a gone point from a deselected one.</param>
    public static IReadOnlyList<CapturePointDecision> Reconcile(
        IReadOnlySet<CapturePointKey> open, DesiredSet desired, IReadOnlyDictionary<int, LinkInfo> present)
    {
        var decisions = new List<CapturePointDecision>();
        var wanted = desired.Points.Select(p => p.Key).ToHashSet();
        var waiting = desired.Waiting.Select(p => p.Key).ToHashSet();
        foreach (var key in open.OrderBy(k => k.Index))
        {
            if (wanted.Contains(key))
            {
                continue;
            }

            var reason = !present.TryGetValue(key.Index, out var link) || link.Name != key.Name
                ? CloseReason.Gone
                : waiting.Contains(key) ? CloseReason.Down : CloseReason.Deselected;
            decisions.Add(new CapturePointDecision.Close(key, reason));
        }

        foreach (var point in desired.Points)
        {
            if (!open.Contains(point.Key))
            {
                decisions.Add(new CapturePointDecision.Open(point));
            }
        }

        return decisions;
    }
}
