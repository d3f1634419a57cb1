namespace FlowExporter.Sources;

/// <summary>
/// Logs a warning at most once per interval for each key; what was suppressed in between is counted and
/// reported with the next line. Bad input is counted elsewhere; this keeps the log bounded.
/// </summary>
public sealed partial class RateLimitedLog
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
        if (!ShouldLog(key, out var suppressed))
        {
            return;
        }

        if (suppressed > 0)
        {
            LogWarningSuppressed(_logger, message, suppressed);
        }
        else
        {
            LogWarning(_logger, message);
        }
    }

    /// <summary>
    /// Whether a line for <paramref name="key"/> may be logged now (for callers with their own source-generated
    /// message); if so, <paramref name="suppressed"/> is how many were held back since the last one.
    /// </summary>
    public bool ShouldLog(string key, out long suppressed)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_state.TryGetValue(key, out var entry) && now - entry.Last < _interval)
            {
                _state[key] = (entry.Last, entry.Suppressed + 1);
                suppressed = 0;
                return false;
            }

            suppressed = entry.Suppressed;
            if (_state.Count >= MaxKeys && !_state.ContainsKey(key))
            {
                _state.Clear();
            }

            _state[key] = (now, 0);
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogWarning(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message} ({Suppressed} similar messages suppressed)")]
    private static partial void LogWarningSuppressed(ILogger logger, string message, long suppressed);
}
