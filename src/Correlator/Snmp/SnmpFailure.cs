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
