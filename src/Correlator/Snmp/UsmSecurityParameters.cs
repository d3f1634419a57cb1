namespace FlowExporter.Correlator.Snmp;

/// <summary>The User-based Security Model parameters of a v3 message (RFC 3414 section 2.4).</summary>
public sealed record UsmSecurityParameters(byte[] EngineId, int EngineBoots, int EngineTime, byte[] UserName, byte[] AuthParameters, byte[] PrivParameters)
{
    public override string ToString() => $"USM engine={Convert.ToHexString(EngineId)} boots={EngineBoots} time={EngineTime}";
}
