namespace FlowExporter.Correlator.CapturePoints;

/// <summary>A capture-point selector that cannot be used; <see cref="Key"/> names the config key and entry (exit code 2 at start).</summary>
public sealed class CapturePointConfigException : Exception
{
    public CapturePointConfigException(string key, string message)
        : base($"{key}: {message}")
    {
        Key = key;
        Problem = message;
    }

    public CapturePointConfigException()
    {
        Key = "";
    }

    public CapturePointConfigException(string message)
        : base(message)
    {
        Key = "";
    }

    public CapturePointConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = "";
    }

    public string Key { get; }

    /// <summary>What is wrong with the entry, without the key.</summary>
    public string Problem { get; } = "";
}
