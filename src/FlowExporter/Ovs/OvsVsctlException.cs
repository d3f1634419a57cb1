namespace FlowExporter.Ovs;

/// <summary>ovs-vsctl could not be run, failed, or printed more than the cap. <see cref="Reason"/> is a short label value.</summary>
public sealed class OvsVsctlException : Exception
{
    public OvsVsctlException()
    {
        Reason = "vsctl_failed";
    }

    public OvsVsctlException(string message)
        : this("vsctl_failed", message)
    {
    }

    public OvsVsctlException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = "vsctl_failed";
    }

    public OvsVsctlException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public string Reason { get; }
}
