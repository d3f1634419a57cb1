namespace FlowExporter.Kubernetes;

/// <summary>
/// Exponential backoff with "equal jitter": the n-th delay is drawn from [c/2, c] where c = min(max, initial * 2^n),
/// so reconnects of many exporters spread out but none retries sooner than half its ceiling.
/// </summary>
internal sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _attempt;

    public Backoff(TimeSpan initial, TimeSpan max, Random random)
    {
        _initial = initial;
        _max = max < initial ? initial : max;
        _random = random;
    }

    public TimeSpan Next()
    {
        var factor = Math.Pow(2, Math.Min(_attempt, 30));
        var ceiling = Math.Min(_max.TotalMilliseconds, _initial.TotalMilliseconds * factor);
        _attempt++;
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (_random.NextDouble() * 0.5)));
    }

    public void Reset() => _attempt = 0;
}
