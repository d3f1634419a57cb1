namespace FlowExporter.Probes;

/// <summary>A probe failure already classified where it happened (name resolution or connecting).</summary>
public sealed class ProbeFailedException : Exception
{
    public ProbeFailedException(ProbeErrorType type, string message, Exception? inner = null)
        : base(message, inner)
    {
        Type = type;
    }

    public ProbeFailedException()
    {
    }

    public ProbeFailedException(string message)
        : base(message)
    {
    }

    public ProbeFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ProbeErrorType Type { get; }
}
