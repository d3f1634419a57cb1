namespace FlowExporter.Correlator.Snmp;

/// <summary>PDU tags (RFC 3416).</summary>
public enum PduType : byte
{
    GetRequest = 0xa0,
    GetNextRequest = 0xa1,
    Response = 0xa2,
    SetRequest = 0xa3,
    GetBulkRequest = 0xa5,
    InformRequest = 0xa6,
    TrapV2 = 0xa7,
    Report = 0xa8,
}

/// <summary>
/// A PDU. For GetBulk, <see cref="ErrorStatus"/> carries non-repeaters and <see cref="ErrorIndex"/> max-repetitions,
/// as on the wire.
/// </summary>
public sealed record Pdu(PduType Type, int RequestId, int ErrorStatus, int ErrorIndex, IReadOnlyList<VarBind> VarBinds)
{
    /// <summary>A PDU can hold at most this many bindings: an SNMP message fits a UDP datagram, each binding takes 4+ bytes.</summary>
    public const int MaxVarBinds = 16384;

    public static Pdu Get(int requestId, IEnumerable<Oid> oids) => new(PduType.GetRequest, requestId, 0, 0, Nulls(oids));

    public static Pdu GetNext(int requestId, IEnumerable<Oid> oids) => new(PduType.GetNextRequest, requestId, 0, 0, Nulls(oids));

    public static Pdu GetBulk(int requestId, int nonRepeaters, int maxRepetitions, IEnumerable<Oid> oids) =>
        new(PduType.GetBulkRequest, requestId, nonRepeaters, maxRepetitions, Nulls(oids));

    public void Encode(BerWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Begin((byte)Type);
        writer.WriteInteger(RequestId);
        writer.WriteInteger(ErrorStatus);
        writer.WriteInteger(ErrorIndex);
        writer.Begin(0x30);
        foreach (var binding in VarBinds)
        {
            writer.Begin(0x30);
            writer.WriteOid(binding.Oid);
            writer.WriteValue(binding.Value);
            writer.End();
        }

        writer.End();
        writer.End();
    }

    public static Pdu Decode(ref BerReader reader)
    {
        var tag = reader.PeekTag();
        if (tag is < 0xa0 or > 0xa8 or 0xa4)
        {
            throw new SnmpDecodeException($"malformed SNMP message at byte {reader.Position}: 0x{tag:x2} is not a PDU");
        }

        var pdu = reader.ReadSequence(tag);
        var requestId = pdu.ReadInt32();
        var errorStatus = pdu.ReadInt32();
        var errorIndex = pdu.ReadInt32();
        var list = pdu.ReadSequence(0x30);
        pdu.ExpectEnd();
        var bindings = new List<VarBind>();
        while (list.HasMore)
        {
            if (bindings.Count == MaxVarBinds)
            {
                throw new SnmpDecodeException("malformed SNMP message: too many variable bindings");
            }

            var binding = list.ReadSequence(0x30);
            var oid = binding.ReadOid();
            var value = binding.ReadValue();
            binding.ExpectEnd();
            bindings.Add(new VarBind(oid, value));
        }

        return new Pdu((PduType)tag, requestId, errorStatus, errorIndex, bindings);
    }

    private static VarBind[] Nulls(IEnumerable<Oid> oids) => oids.Select(oid => new VarBind(oid, SnmpValue.Null)).ToArray();
}
