namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// A datagram that is not a well-formed SNMP message (or not one we can use). The only exception the codec throws on
/// bad input; its message names the problem and an offset, never the datagram's contents.
/// </summary>
public sealed class SnmpDecodeException : Exception
{
    public SnmpDecodeException(string message)
        : base(message)
    {
    }

    public SnmpDecodeException()
    {
    }

    public SnmpDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
