namespace FlowExporter.Correlator.Ovs;

/// <summary>OVSDB data that does not have the shape RFC 7047 (or ovs-vsctl's JSON output) gives it.</summary>
public sealed class OvsdbFormatException : Exception
{
    public OvsdbFormatException()
    {
    }

    public OvsdbFormatException(string message)
        : base(message)
    {
    }

    public OvsdbFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
