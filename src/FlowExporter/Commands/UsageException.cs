namespace FlowExporter.Commands;

/// <summary>A command line that cannot be run: unknown flag, missing or bad value. Exit code 2, one line.</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
