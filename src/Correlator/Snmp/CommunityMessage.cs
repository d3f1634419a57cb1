namespace FlowExporter.Correlator.Snmp;

/// <summary>An SNMPv1/v2c message: version, community, PDU. <see cref="ToString"/> never shows the community.</summary>
public sealed class CommunityMessage
{
    public const int Version2c = 1;

    public CommunityMessage(int version, byte[] community, Pdu pdu)
    {
        Version = version;
        Community = community;
        Pdu = pdu;
    }

    public int Version { get; }

    public byte[] Community { get; }

    public Pdu Pdu { get; }

    public byte[] Encode()
    {
        var writer = new BerWriter();
        writer.Begin(0x30);
        writer.WriteInteger(Version);
        writer.WriteOctetString(Community);
        Pdu.Encode(writer);
        writer.End();
        return writer.ToArray();
    }

    public static CommunityMessage Decode(ReadOnlySpan<byte> datagram)
    {
        var outer = new BerReader(datagram);
        var message = outer.ReadSequence(0x30);
        outer.ExpectEnd();
        var version = message.ReadInt32();
        if (version is not (0 or 1))
        {
            throw new SnmpDecodeException($"not a v1/v2c message (version field {version})");
        }

        var community = message.ReadOctetString();
        var pdu = Pdu.Decode(ref message);
        message.ExpectEnd();
        return new CommunityMessage(version, community, pdu);
    }

    /// <summary>Reads the version field only (0 = v1, 1 = v2c, 3 = v3).</summary>
    public static int PeekVersion(ReadOnlySpan<byte> datagram)
    {
        var outer = new BerReader(datagram);
        var message = outer.ReadSequence(0x30);
        return message.ReadInt32();
    }

    public override string ToString() => $"SNMPv{(Version == 0 ? "1" : "2c")} {Pdu.Type} id={Pdu.RequestId} bindings={Pdu.VarBinds.Count}";
}
