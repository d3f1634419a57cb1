using System.Buffers.Binary;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Ipfix;

/// <summary>The IPFIX encoder, byte for byte (RFC 7011 header, sets, §7 variable-length strings; RFC 5103 reverse IEs).</summary>
public sealed class IpfixMessageWriterTests
{
    private static readonly FlowRecord Record = new(
        Interface: 0,
        Protocol: IpProtocol.Tcp,
        Source: IpAddress.Parse("10.0.0.9"),
        SourcePort: 40000,
        Destination: IpAddress.Parse("10.0.0.1"),
        DestinationPort: 80,
        StartNanoseconds: 1_000_000_000,
        EndNanoseconds: 2_500_000_000,
        Forward: new FlowCounts(300, 342, 3, 0x1b, Retransmissions: 2),
        Reverse: new FlowCounts(100, 128, 2, 0x12, Retransmissions: 1),
        VlanId: 7,
        EndReason: FlowEndReason.EndOfFlow,
        Evidence: InitiatorEvidence.Syn,
        HandshakeRttNanoseconds: 1_500_000);

    private static readonly FlowRecordNames Names = new(
        "eth0", "n1", new FlowEndpointNames("shop", "web-0", "n1", "Deployment", "web"), FlowEndpointNames.Unknown);

    [Fact]
    public void An_ipv4_record_encodes_to_the_exact_bytes()
    {
        var writer = new IpfixMessageWriter(0x01020304, FlowTemplates.DefaultEnterpriseNumber, 1400);
        Assert.True(writer.TryAdd(Record, Names));
        var message = writer.Finish(1_700_000_000).ToArray();

        var expected =
            "000A" + "00A0" + "6553F100" + "00000000" + "01020304" // version 10, length 160, export time, sequence, domain
            + "0100" + "0090" // data set of template 256, 144 bytes
            + "0A000009" + "0A000001" + "9C40" + "0050" + "06"
            + "00000000000003E8" + "00000000000009C4" // flowStart/EndMilliseconds
            + "000000000000012C" + "0000000000000003" + "0000000000000156" // forward: IP octets, packets, layer 2 octets
            + "0000000000000064" + "0000000000000002" + "0000000000000080" // reverse
            + "001B" + "0012" + "03" + "01" + "0007" // tcpControlBits both ways, end of flow, initiator, vlan
            + "04" + "65746830" // interfaceName "eth0"
            + "04" + "73686F70" + "05" + "7765622D30" + "00" + "00" // source namespace, pod; destination namespace, pod
            + "02" + "6E31" + "00" // source node, destination node
            + "02" + "6E31" // observing node
            + "0A" + "4465706C6F796D656E74" + "03" + "776562" + "00" + "00" // workloads
            + "000005DC" + "00" // handshake RTT 1500 us, evidence syn
            + "00000002" + "00000001"; // retransmitted segments: initiator, target
        Assert.Equal(expected, Convert.ToHexString(message));
    }

    [Fact]
    public void The_template_set_holds_both_templates_with_enterprise_bits()
    {
        var writer = new IpfixMessageWriter(1, 32473, 1400);
        writer.AddTemplates();
        var message = writer.Finish(0).ToArray().AsSpan();
        Assert.Equal(16 + 436, message.Length);
        Assert.Equal("000201B40100" + "0022" + "00080004" + "000C0004", Convert.ToHexString(message[16..32]));

        // Field 12 of 34 (after the two addresses and the eight standard fields): reverse octetDeltaCount.
        var reverseOctets = message[(16 + 4 + 4 + (10 * 4))..];
        Assert.Equal("8001000800007279", Convert.ToHexString(reverseOctets[..8]));

        // The IPv6 template starts after the IPv4 one (4 + 15 standard fields x 4 + 19 enterprise fields x 8 = 216 bytes).
        var ipv6 = message[(16 + 4 + 216)..];
        Assert.Equal("01010022" + "001B0010" + "001C0010", Convert.ToHexString(ipv6[..12]));
        Assert.Equal(34, FlowTemplates.Fields(ipv6: true, 32473).Count);
    }

    [Fact]
    public void Strings_of_255_bytes_or_more_take_the_three_byte_length()
    {
        var writer = new IpfixMessageWriter(1, 32473, 1400);
        var longName = new string('p', 300);
        Assert.True(writer.TryAdd(Record, Names with { Source = Names.Source with { Pod = longName } }));
        var message = writer.Finish(0).ToArray();
        var hex = Convert.ToHexString(message);
        Assert.Contains("0473686F70" + "FF012C" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(longName)), hex, StringComparison.Ordinal);
    }

    [Fact]
    public void Records_split_across_messages_within_the_size_limit_and_the_sequence_counts_records()
    {
        var writer = new IpfixMessageWriter(1, 32473, 512);
        var messages = new List<byte[]>();
        for (var i = 0; i < 10; i++)
        {
            if (!writer.TryAdd(Record, Names))
            {
                messages.Add(writer.Finish(0).ToArray());
                Assert.True(writer.TryAdd(Record, Names));
            }
        }

        messages.Add(writer.Finish(0).ToArray());
        Assert.All(messages, m => Assert.True(m.Length <= 512));
        Assert.All(messages, m => Assert.Equal(m.Length, BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(2))));

        // 140-byte records: three fit in 512 bytes (16 + 4 + 3 x 140 = 440), a fourth does not.
        Assert.Equal([0u, 3u, 6u, 9u], messages.Select(m => BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(8))));
        Assert.Equal(10u, writer.SequenceNumber);
    }

    [Fact]
    public void An_ipv6_record_uses_the_ipv6_template()
    {
        var writer = new IpfixMessageWriter(1, 32473, 1400);
        Assert.True(writer.TryAdd(Record with { Source = IpAddress.Parse("2001:db8::9"), Destination = IpAddress.Parse("2001:db8::1") }, Names));
        var message = writer.Finish(0).ToArray();
        Assert.Equal("0101", Convert.ToHexString(message.AsSpan(16, 2)));
        Assert.Equal("20010DB8000000000000000000000009", Convert.ToHexString(message.AsSpan(20, 16)));
        Assert.Equal(16 + 4 + 140 + 24, message.Length);
    }
}
