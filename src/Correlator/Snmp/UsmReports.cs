namespace FlowExporter.Correlator.Snmp;

/// <summary>Turns the usmStats counters an agent sends in a Report PDU into failures with clear words (RFC 3414 section 3.2).</summary>
public static class UsmReports
{
    private static readonly Oid UsmStats = Oid.Parse("1.3.6.1.6.3.15.1.1");

    public static readonly Oid NotInTimeWindows = Oid.Parse("1.3.6.1.6.3.15.1.1.2.0");

    public static SnmpRequestException ToException(Pdu report, string userName)
    {
        ArgumentNullException.ThrowIfNull(report);
        var oid = report.VarBinds.Count > 0 ? report.VarBinds[0].Oid : null;
        if (oid is null || !UsmStats.IsAncestorOf(oid) || oid.Length != UsmStats.Length + 2)
        {
            return new SnmpRequestException(SnmpFailure.UnknownReport, $"the agent sent a report ({oid?.ToString() ?? "empty"})");
        }

        return oid[UsmStats.Length] switch
        {
            1 => new SnmpRequestException(SnmpFailure.UnsupportedSecurityLevel, $"the agent does not support this security level for user '{userName}'"),
            2 => new SnmpRequestException(SnmpFailure.NotInTimeWindow, "the request was outside the agent's time window"),
            3 => new SnmpRequestException(SnmpFailure.UnknownUser, $"the agent does not know user '{userName}'"),
            4 => new SnmpRequestException(SnmpFailure.UnknownEngineId, "the agent does not know the engine ID we used"),
            5 => new SnmpRequestException(SnmpFailure.WrongDigest, $"the agent rejected the digest: wrong authentication passphrase or protocol for user '{userName}'"),
            6 => new SnmpRequestException(SnmpFailure.DecryptionError, $"the agent could not decrypt the request: wrong privacy passphrase or protocol for user '{userName}'"),
            _ => new SnmpRequestException(SnmpFailure.UnknownReport, $"the agent sent a report ({oid})"),
        };
    }
}
