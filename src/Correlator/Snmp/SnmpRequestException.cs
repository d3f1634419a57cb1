namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// An SNMP request that did not produce a usable answer. The message says what happened in words and never contains a
/// community, passphrase or key.
/// </summary>
public sealed class SnmpRequestException : Exception
{
    public SnmpRequestException(SnmpFailure failure, string message)
        : base(message) => Failure = failure;

    public SnmpRequestException()
    {
    }

    public SnmpRequestException(string message)
        : base(message)
    {
    }

    public SnmpRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SnmpFailure Failure { get; } = SnmpFailure.Timeout;
}
