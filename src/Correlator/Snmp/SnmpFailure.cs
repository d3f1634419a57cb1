namespace FlowExporter.Correlator.Snmp;

/// <summary>Why an SNMP exchange failed; <see cref="SnmpFailureNames.Label"/> gives the label value used in series.</summary>
public enum SnmpFailure
{
    Timeout,
    PortUnreachable,
    NetworkError,
    UnresolvableAddress,
    MalformedResponse,
    ErrorStatus,
    OidNotIncreasing,
    TooManyRows,
    UnknownEngineId,
    UnknownUser,
    WrongDigest,
    NotInTimeWindow,
    UnsupportedSecurityLevel,
    DecryptionError,
    ResponseAuthenticationFailed,
    UnknownReport,
}

public static class SnmpFailureNames
{
    public static string Label(this SnmpFailure failure) => failure switch
    {
        SnmpFailure.Timeout => "timeout",
        SnmpFailure.PortUnreachable => "port_unreachable",
        SnmpFailure.NetworkError => "network_error",
        SnmpFailure.UnresolvableAddress => "unresolvable_address",
        SnmpFailure.MalformedResponse => "malformed_response",
        SnmpFailure.ErrorStatus => "error_status",
        SnmpFailure.OidNotIncreasing => "oid_not_increasing",
        SnmpFailure.TooManyRows => "too_many_rows",
        SnmpFailure.UnknownEngineId => "unknown_engine_id",
        SnmpFailure.UnknownUser => "unknown_user",
        SnmpFailure.WrongDigest => "wrong_digest",
        SnmpFailure.NotInTimeWindow => "not_in_time_window",
        SnmpFailure.UnsupportedSecurityLevel => "unsupported_security_level",
        SnmpFailure.DecryptionError => "decryption_error",
        SnmpFailure.ResponseAuthenticationFailed => "response_authentication_failed",
        _ => "unknown_report",
    };
}

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
