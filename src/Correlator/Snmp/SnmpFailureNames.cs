namespace FlowExporter.Correlator.Snmp;

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
