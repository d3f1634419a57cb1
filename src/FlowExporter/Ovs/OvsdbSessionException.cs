namespace FlowExporter.Ovs;

/// <summary>An OVSDB session ended; <see cref="Reason"/> is a short label value (connect_failed, no_answer, closed...).</summary>
public sealed class OvsdbSessionException : Exception
{
    public OvsdbSessionException()
    {
        Reason = "error";
    }

    public OvsdbSessionException(string message)
        : this("error", message)
    {
    }

    public OvsdbSessionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = "error";
    }

    public OvsdbSessionException(string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public string Reason { get; }
}
