namespace FlowExporter.Configuration;

/// <summary>
/// A configuration value that cannot be used. The message is the one line printed at start: the key and the problem,
/// never the value of a secret.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string key, string problem)
        : base($"config: {key}: {problem}")
    {
        Key = key;
        Problem = problem;
    }

    public ConfigException()
    {
        Key = string.Empty;
        Problem = string.Empty;
    }

    public ConfigException(string message)
        : base(message)
    {
        Key = string.Empty;
        Problem = message;
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = string.Empty;
        Problem = message;
    }

    public string Key { get; }

    public string Problem { get; }
}
