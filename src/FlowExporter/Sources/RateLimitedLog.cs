
namespace FlowExporter.Sources;

/// <summary>
/// Logs a warning at most once per interval for each key; what was suppressed in between is counted and
/// reported with the next line. Bad input is counted elsewhere; this keeps the log bounded.
/// </summary>
public sealed class RateLimitedLog
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Last, long Suppressed)> _state = new(StringComparer.Ordinal);
    private const int MaxKeys = 1024;

    public RateLimitedLog(ILogger logger, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _time = time;
        _interval = interval;
    }

    public void Warn(string key, string message)
    {
        var now = _time.GetUtcNow();
        long suppressed;
        lock (_gate)
        {
            if (_state.TryGetValue(key, out var entry) && now - entry.Last < _interval)
            {
                _state[key] = (entry.Last, entry.Suppressed + 1);
                return;
            }

            suppressed = entry.Suppressed;
            if (_state.Count >= MaxKeys && !_state.ContainsKey(key))
            {
                _state.Clear();
            }

            _state[key] = (now, 0);
        }

        if (suppressed > 0)
        {
            _logger.LogWarning("{Message} ({Suppressed} similar messages suppressed)", message, suppressed);
        }
        else
        {
            _logger.LogWarning("{Message}", message);
        }
    }
}
