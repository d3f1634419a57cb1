namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// An SNMPv3 message with USM security parameters (RFC 3412, 3414). The data is either a plaintext scoped PDU or an
/// encrypted one. When decoded, <see cref="AuthParametersOffset"/> is where msgAuthenticationParameters sits in the
/// datagram, so the digest can be checked over the datagram with that field zeroed.
/// </summary>
public sealed class V3Message
{
    public const int Version3 = 3;
    public const int UsmSecurityModel = 3;

    public V3Message(int messageId, int maxSize, V3Flags flags, UsmSecurityParameters security, ScopedPdu? scopedPdu, byte[]? encryptedPdu)
    {
        MessageId = messageId;
        MaxSize = maxSize;
        Flags = flags;
        Security = security;
        ScopedPdu = scopedPdu;
        EncryptedPdu = encryptedPdu;
    }

    public int MessageId { get; }

    public int MaxSize { get; }

    public V3Flags Flags { get; }

    public UsmSecurityParameters Security { get; }

    public ScopedPdu? ScopedPdu { get; }

    public byte[]? EncryptedPdu { get; }

    public int AuthParametersOffset { get; private init; } = -1;

    /// <summary>Encodes; <paramref name="authParametersOffset"/> is where the (placeholder) digest was written.</summary>
    public byte[] Encode(out int authParametersOffset)
    {
        var writer = new BerWriter();
        writer.Begin(0x30);
        writer.WriteInteger(Version3);
        writer.Begin(0x30);
        writer.WriteInteger(MessageId);
        writer.WriteInteger(MaxSize);
        writer.WriteOctetString([(byte)Flags]);
        writer.WriteInteger(UsmSecurityModel);
        writer.End();

        var security = new BerWriter(128);
        security.Begin(0x30);
        security.WriteOctetString(Security.EngineId);
        security.WriteInteger(Security.EngineBoots);
        security.WriteInteger(Security.EngineTime);
        security.WriteOctetString(Security.UserName);
        security.WriteOctetString(Security.AuthParameters);
        security.WriteOctetString(Security.PrivParameters);
        security.End();
        writer.WriteOctetString(security.Written);

        if (EncryptedPdu is not null)
        {
            writer.WriteOctetString(EncryptedPdu);
        }
        else
        {
            ScopedPdu!.Encode(writer);
        }

        writer.End();
        var bytes = writer.ToArray();
        authParametersOffset = Decode(bytes).AuthParametersOffset;
        return bytes;
    }

    public static V3Message Decode(ReadOnlySpan<byte> datagram)
    {
        var outer = new BerReader(datagram);
        var message = outer.ReadSequence(0x30);
        outer.ExpectEnd();
        if (message.ReadInt32() != Version3)
        {
            throw new SnmpDecodeException("not an SNMPv3 message");
        }

        var header = message.ReadSequence(0x30);
        var messageId = header.ReadInt32();
        var maxSize = header.ReadInt32();
        var flags = header.ReadPrimitive((byte)SnmpType.OctetString);
        if (flags.Length != 1)
        {
            throw new SnmpDecodeException("msgFlags must be one byte");
        }

        var model = header.ReadInt32();
        header.ExpectEnd();
        if (model != UsmSecurityModel)
        {
            throw new SnmpDecodeException($"security model {model} is not USM");
        }

        var securityStart = message.ReadOctetStringOffset(out var securityLength);
        var usm = ReadUsm(datagram, securityStart, securityLength, out var authOffset);

        ScopedPdu? scoped = null;
        byte[]? encrypted = null;
        var tag = message.PeekTag();
        if (tag == (byte)SnmpType.OctetString)
        {
            encrypted = message.ReadOctetString();
        }
        else
        {
            var scopedReader = message.ReadSequence(0x30);
            scoped = ScopedPdu.Decode(ref scopedReader);
        }

        message.ExpectEnd();
        return new V3Message(messageId, maxSize, (V3Flags)flags[0], usm, scoped, encrypted) { AuthParametersOffset = authOffset };
    }

    private static UsmSecurityParameters ReadUsm(ReadOnlySpan<byte> datagram, int start, int length, out int authOffset)
    {
        var container = new BerReader(datagram.Slice(start, length));
        var usm = container.ReadSequence(0x30);
        container.ExpectEnd();
        var engineId = usm.ReadOctetString();
        var boots = usm.ReadInt32();
        var time = usm.ReadInt32();
        var user = usm.ReadOctetString();
        authOffset = start + usm.ReadOctetStringOffset(out var authLength);
        var auth = datagram.Slice(authOffset, authLength).ToArray();
        var priv = usm.ReadOctetString();
        usm.ExpectEnd();
        if (engineId.Length > 32 || user.Length > 32)
        {
            throw new SnmpDecodeException("USM engine ID or user name longer than 32 bytes");
        }

        return new UsmSecurityParameters(engineId, boots, time, user, auth, priv);
    }

    public override string ToString() => $"SNMPv3 id={MessageId} flags={Flags} {Security}";
}
