namespace FlowExporter.Endpoints;

/// <summary>A problem in the static endpoints file, its message naming the entry index and field.</summary>
public sealed class EndpointsFileException : Exception
{
    public EndpointsFileException()
    {
    }

    public EndpointsFileException(string message)
        : base(message)
    {
    }

    public EndpointsFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
