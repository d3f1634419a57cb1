namespace FlowExporter.Correlator.Snmp;

/// <summary>An OID and its value, as carried in a PDU's variable-bindings list.</summary>
public readonly record struct VarBind(Oid Oid, SnmpValue Value);
