namespace FlowExporter.Probes;

/// <summary>
/// The per-round budget: at most <c>max</c> targets per round, taken in turn from the (sorted) target list, so that with
/// more targets than the budget every target is still probed once every few rounds. Not thread-safe: the probe loop owns it.
/// </summary>
public sealed class ProbeRoundPlanner
{
    private readonly int _max;
    private int _cursor;

    public ProbeRoundPlanner(int maxPerRound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerRound, 1);
        _max = maxPerRound;
    }

    public IReadOnlyList<ProbeTarget> Next(IReadOnlyList<ProbeTarget> targets)
    {
        if (targets.Count <= _max)
        {
            _cursor = 0;
            return targets;
        }

        var start = _cursor % targets.Count;
        var batch = new ProbeTarget[_max];
        for (var i = 0; i < _max; i++)
        {
            batch[i] = targets[(start + i) % targets.Count];
        }

        _cursor = (start + _max) % targets.Count;
        return batch;
    }
}
