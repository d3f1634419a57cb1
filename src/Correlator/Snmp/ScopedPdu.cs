namespace FlowExporter.Correlator.Snmp;

/// <summary>An SNMPv3 scoped PDU: context engine ID, context name and the PDU (RFC 3412).</summary>
public sealed record ScopedPdu(byte[] ContextEngineId, byte[] ContextName, Pdu Pdu)
{
    public void Encode(BerWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Begin(0x30);
        writer.WriteOctetString(ContextEngineId);
        writer.WriteOctetString(ContextName);
        Pdu.Encode(writer);
        writer.End();
    }

    public byte[] Encode()
    {
        var writer = new BerWriter();
        Encode(writer);
        return writer.ToArray();
    }

    /// <summary>Decodes the first element; bytes after it (DES padding) are ignored.</summary>
    public static ScopedPdu Decode(ReadOnlySpan<byte> data)
    {
        var outer = new BerReader(data);
        var scoped = outer.ReadSequence(0x30);
        return Decode(ref scoped);
    }

    internal static ScopedPdu Decode(ref BerReader scoped)
    {
        var engineId = scoped.ReadOctetString();
        var contextName = scoped.ReadOctetString();
        var pdu = Pdu.Decode(ref scoped);
        scoped.ExpectEnd();
        return new ScopedPdu(engineId, contextName, pdu);
    }
}
