namespace FlowExporter.Sources;

/// <summary>
/// The one retry delay of every source: exponential with "equal jitter", capped. The n-th delay is drawn from
/// [c/2, c] where c = min(max, initial * 2^n), so reconnects of many exporters spread out but none retries sooner than
/// half its ceiling. <see cref="Reset"/> after a success. Not thread-safe: one instance per retry loop.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _attempt;

    public Backoff(TimeSpan initial, TimeSpan max, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        _initial = initial;
        _max = max < initial ? initial : max;
        _random = random;
    }

    /// <summary>A backoff jittered from the shared (thread-safe) random source.</summary>
    public Backoff(TimeSpan initial, TimeSpan max)
        : this(initial, max, Random.Shared)
    {
    }

    /// <summary>How many delays were handed out since the last reset.</summary>
    public int Attempt => _attempt;

    public TimeSpan Next()
    {
        var factor = Math.Pow(2, Math.Min(_attempt, 30));
        var ceiling = Math.Min(_max.TotalMilliseconds, _initial.TotalMilliseconds * factor);
        _attempt++;
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (_random.NextDouble() * 0.5)));
    }

    /// <summary>Waits the next delay on <paramref name="time"/>; false when cancelled instead.</summary>
    public async Task<bool> WaitAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Next(), time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Blocks a dedicated thread for the next delay; false when cancelled instead.</summary>
    public bool Wait(CancellationToken cancellationToken) => !cancellationToken.WaitHandle.WaitOne(Next());

    public void Reset() => _attempt = 0;
}
