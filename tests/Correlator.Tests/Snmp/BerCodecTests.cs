using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Correlator.Tests.Snmp;

public sealed class BerCodecTests
{
    [Fact]
    public void Every_captured_v2c_datagram_decodes_and_reencodes_byte_for_byte()
    {
        foreach (var file in new[] { "netsnmp-v2c.hex", "netsnmp-eom.hex" })
        {
            foreach (var (_, bytes) in SnmpFixtures.Datagrams(file))
            {
                if (CommunityMessage.PeekVersion(bytes) != CommunityMessage.Version2c)
                {
                    continue;
                }

                var message = CommunityMessage.Decode(bytes);
                Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(message.Encode()));
            }
        }
    }

    [Fact]
    public void Every_captured_v3_datagram_decodes_and_reencodes_byte_for_byte()
    {
        foreach (var file in new[] { "netsnmp-v3.hex", "netsnmp-eom.hex" })
        {
            foreach (var (_, bytes) in SnmpFixtures.Datagrams(file))
            {
                if (CommunityMessage.PeekVersion(bytes) != V3Message.Version3)
                {
                    continue;
                }

                var message = V3Message.Decode(bytes);
                var encoded = message.Encode(out var authOffset);
                Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(encoded));
                Assert.Equal(message.AuthParametersOffset, authOffset);
            }
        }
    }

    [Fact]
    public void Captured_v3_discovery_report_carries_the_engine()
    {
        var datagrams = SnmpFixtures.Datagrams("netsnmp-v3.hex");
        var probe = V3Message.Decode(datagrams[0].Bytes);
        Assert.Equal(V3Flags.Reportable, probe.Flags);
        Assert.Empty(probe.Security.EngineId);
        var report = V3Message.Decode(datagrams[1].Bytes);
        Assert.Equal("80001F8880A527E5063C08066B00000000", Convert.ToHexString(report.Security.EngineId));
        Assert.Equal(PduType.Report, report.ScopedPdu!.Pdu.Type);
        Assert.Equal("1.3.6.1.6.3.15.1.1.4.0", report.ScopedPdu.Pdu.VarBinds[0].Oid.ToString());
        Assert.Equal(probe.MessageId, report.MessageId);
    }

    [Fact]
    public void Captured_get_response_has_net_snmp_values()
    {
        var datagrams = SnmpFixtures.Datagrams("netsnmp-v2c.hex");
        var request = CommunityMessage.Decode(datagrams[0].Bytes);
        Assert.Equal("s3cret"u8.ToArray(), request.Community);
        Assert.Equal(PduType.GetRequest, request.Pdu.Type);
        var response = CommunityMessage.Decode(datagrams[1].Bytes).Pdu;
        Assert.Equal(PduType.Response, response.Type);
        Assert.Equal(request.Pdu.RequestId, response.RequestId);
        Assert.Equal("1.3.6.1.2.1.1.5.0", response.VarBinds[0].Oid.ToString());
        Assert.Equal("lab-switch-1", response.VarBinds[0].Value.AsText());
        Assert.Equal(SnmpType.TimeTicks, response.VarBinds[1].Value.Type);
        Assert.Equal(200UL, response.VarBinds[1].Value.Number);
        Assert.Equal(SnmpValue.Identifier(Oid.Parse("1.3.6.1.4.1.8072.3.2.10")), response.VarBinds[2].Value);
    }

    [Fact]
    public void Captured_types_decode_to_what_snmpget_printed()
    {
        // snmpget printed: IpAddress 127.0.0.1, noSuchObject, noSuchInstance, Gauge32 10000000, Counter32 53318, INTEGER 1.
        var response = CommunityMessage.Decode(SnmpFixtures.Datagrams("netsnmp-v2c.hex")[9].Bytes).Pdu;
        Assert.Equal(
            ["127.0.0.1", "noSuchObject", "noSuchInstance", "10000000", "53318", "1"],
            response.VarBinds.Select(b => b.Value.ToString()).ToArray());
        Assert.Equal(
            [SnmpType.IpAddress, SnmpType.NoSuchObject, SnmpType.NoSuchInstance, SnmpType.Gauge32, SnmpType.Counter32, SnmpType.Integer],
            response.VarBinds.Select(b => b.Value.Type).ToArray());
    }

    [Fact]
    public void Captured_counter64_and_end_of_mib_view_decode()
    {
        var getNext = CommunityMessage.Decode(SnmpFixtures.Datagrams("netsnmp-v2c.hex")[3].Bytes).Pdu;
        Assert.Equal(new VarBind(Oid.Parse("1.3.6.1.2.1.31.1.1.1.6.1"), SnmpValue.Unsigned(SnmpType.Counter64, 53318)), getNext.VarBinds[0]);
        var eom = CommunityMessage.Decode(SnmpFixtures.Datagrams("netsnmp-eom.hex")[1].Bytes).Pdu;
        Assert.Equal(SnmpType.EndOfMibView, eom.VarBinds[0].Value.Type);
        Assert.Equal("1.3.6.1.99", eom.VarBinds[0].Oid.ToString());
    }

    [Theory]
    [InlineData(0L, "020100")]
    [InlineData(127L, "02017f")]
    [InlineData(128L, "02020080")]
    [InlineData(-1L, "0201ff")]
    [InlineData(-128L, "020180")]
    [InlineData(-129L, "0202ff7f")]
    [InlineData(2147483647L, "02047fffffff")]
    [InlineData(-2147483648L, "020480000000")]
    public void Integers_encode_minimally_and_round_trip(long value, string hex)
    {
        var writer = new BerWriter();
        writer.WriteInteger(value);
        Assert.Equal(hex, Convert.ToHexString(writer.Written).ToLowerInvariant());
        var reader = new BerReader(writer.Written);
        Assert.Equal(value, reader.ReadInt32());
    }

    [Theory]
    [InlineData(SnmpType.Counter64, 0UL, "460100")]
    [InlineData(SnmpType.Counter64, 18446744073709551615UL, "460900ffffffffffffffff")]
    [InlineData(SnmpType.Counter32, 4294967295UL, "410500ffffffff")]
    [InlineData(SnmpType.Gauge32, 128UL, "42020080")]
    [InlineData(SnmpType.TimeTicks, 200UL, "430200c8")]
    public void Unsigned_types_round_trip(SnmpType type, ulong value, string hex)
    {
        var writer = new BerWriter();
        writer.WriteUnsigned(type, value);
        Assert.Equal(hex, Convert.ToHexString(writer.Written).ToLowerInvariant());
        var reader = new BerReader(writer.Written);
        Assert.Equal(SnmpValue.Unsigned(type, value), reader.ReadValue());
    }

    [Fact]
    public void Oid_with_large_sub_identifiers_round_trips()
    {
        var oid = Oid.Parse("1.3.6.1.4.1.4294967295.0.127.128.16383.16384");
        var writer = new BerWriter();
        writer.WriteOid(oid);
        var reader = new BerReader(writer.Written);
        Assert.Equal(oid, reader.ReadOid());
    }

    [Theory]
    [InlineData("3084ffffffff")] // length far beyond the datagram
    [InlineData("308500000000010000")] // length field too long
    [InlineData("3080")] // indefinite length
    [InlineData("300302")] // truncated inside
    [InlineData("30030201")] // integer without its content byte
    [InlineData("3006020900000000")] // 9-byte INTEGER
    [InlineData("")]
    [InlineData("1f")]
    public void Malformed_input_throws_only_the_typed_error(string hex)
    {
        Assert.Throws<SnmpDecodeException>(() => CommunityMessage.Decode(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Oid_sub_identifier_beyond_32_bits_is_rejected()
    {
        var bytes = Convert.FromHexString("06072b9090909090" + "00");
        Assert.Throws<SnmpDecodeException>(() => new BerReader(bytes).ReadOid());
    }

    [Fact]
    public void Oid_longer_than_128_sub_identifiers_is_rejected()
    {
        var content = Enumerable.Repeat((byte)1, 200).ToArray();
        var bytes = new byte[] { 0x06, 0x81, 200 }.Concat(content).ToArray();
        Assert.Throws<SnmpDecodeException>(() => new BerReader(bytes).ReadOid());
    }
}
