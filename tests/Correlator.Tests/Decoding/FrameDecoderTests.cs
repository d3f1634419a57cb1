using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Decoding;

public sealed class FrameDecoderTests
{
    private readonly FrameDecoder _decoder = new(DecoderOptions.Default);

    public static TheoryData<string, byte[], int> TcpFrames() => new()
    {
        // name, frame, offset of the TCP header
        { "ipv4", Frames.Ipv4Tcp(), 14 + 20 },
        { "ipv6", Frames.Ipv6Tcp(), 14 + 40 },
        { "vlan", Frames.VlanIpv4Tcp(), 18 + 20 },
        { "qinq", Frames.QinQIpv4Tcp(), 22 + 20 },
    };

    [Theory]
    [MemberData(nameof(TcpFrames))]
    public void Full_frames_decode_to_their_exact_fields(string name, byte[] frame, int tcpOffset)
    {
        var packet = default(DecodedPacket);
        Assert.Equal(DecodeResult.Ip, _decoder.Decode(LinkType.Ethernet, frame, ref packet));
        Assert.Equal(name == "ipv6" ? "fd00::1" : "10.99.0.1", packet.Source.ToString());
        Assert.Equal(name == "ipv6" ? "fd00::2" : "10.99.0.2", packet.Destination.ToString());
        Assert.Equal(40000, packet.SourcePort);
        Assert.Equal(443, packet.DestinationPort);
        Assert.Equal(TcpFlags.Syn, packet.TcpFlags);
        Assert.Equal(1000u, packet.TcpSequence);
        Assert.Equal(32, packet.PayloadLength);
        Assert.Equal(name switch { "vlan" => 42, "qinq" => 200, _ => 0 }, packet.VlanId);
        Assert.True(frame.Length > tcpOffset);
    }

    [Theory]
    [MemberData(nameof(TcpFrames))]
    public void Every_prefix_decodes_or_is_counted_truncated(string name, byte[] frame, int tcpOffset)
    {
        for (var length = 0; length <= frame.Length; length++)
        {
            var packet = default(DecodedPacket);
            var result = _decoder.Decode(LinkType.Ethernet, frame.AsSpan(0, length), ref packet);

            // The addresses are needed, then the two ports; flags and the rest are read when present.
            var expected = length >= tcpOffset + 4 ? DecodeResult.Ip : DecodeResult.Truncated;
            Assert.True(expected == result, $"{name}: prefix {length}: {result}, expected {expected}");
            if (result == DecodeResult.Ip)
            {
                Assert.Equal(40000, packet.SourcePort);
                Assert.Equal(443, packet.DestinationPort);
                Assert.Equal(length >= tcpOffset + 14 ? TcpFlags.Syn : TcpFlags.None, packet.TcpFlags);
            }
        }
    }

    [Fact]
    public void Vxlan_is_opened_and_the_inner_connection_is_decoded()
    {
        var packet = default(DecodedPacket);
        Assert.Equal(DecodeResult.Ip, _decoder.Decode(LinkType.Ethernet, Frames.VxlanIpv4Tcp(), ref packet));
        Assert.Equal("10.99.0.1", packet.Source.ToString());
        Assert.Equal(443, packet.DestinationPort);
        Assert.Equal(1, packet.TunnelDepth);
    }

    [Fact]
    public void Without_decapsulation_vxlan_is_its_outer_udp_flow()
    {
        var decoder = new FrameDecoder(DecoderOptions.Default with { Decapsulate = false });
        var packet = default(DecodedPacket);
        Assert.Equal(DecodeResult.Ip, decoder.Decode(LinkType.Ethernet, Frames.VxlanIpv4Tcp(), ref packet));
        Assert.Equal("192.168.1.1", packet.Source.ToString());
        Assert.Equal(4789, packet.DestinationPort);
        Assert.Equal(0, packet.TunnelDepth);
    }

    [Fact]
    public void Gre_is_opened()
    {
        var packet = default(DecodedPacket);
        Assert.Equal(DecodeResult.Ip, _decoder.Decode(LinkType.Ethernet, Frames.GreIpv4Udp(), ref packet));
        Assert.Equal(IpProtocol.Udp, packet.Protocol);
        Assert.Equal("10.99.0.1", packet.Source.ToString());
        Assert.Equal(53, packet.DestinationPort);
    }

    [Fact]
    public void A_tunnel_cut_short_inside_accounts_the_outer_flow()
    {
        var frame = Frames.VxlanIpv4Tcp();
        var packet = default(DecodedPacket);

        // Outer Ethernet, IP, UDP and VXLAN headers (50 bytes) and 20 bytes of the inner frame.
        Assert.Equal(DecodeResult.Ip, _decoder.Decode(LinkType.Ethernet, frame.AsSpan(0, 70), ref packet));
        Assert.Equal("192.168.1.1", packet.Source.ToString());
        Assert.Equal(4789, packet.DestinationPort);
    }

    [Theory]
    [InlineData(new byte[] { 0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 }, DecodeResult.Truncated)]
    [InlineData(new byte[] { 0x44, 0x00, 0x00, 0x28, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 }, DecodeResult.BadHeaderLength)]
    [InlineData(new byte[] { 0x45, 0x00, 0x00, 0x10, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 }, DecodeResult.BadHeaderLength)]
    [InlineData(new byte[] { 0x55, 0x00, 0x00, 0x14, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 }, DecodeResult.BadVersion)]
    [InlineData(new byte[] { 0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 }, DecodeResult.Ip)]
    public void Raw_ipv4_headers_are_judged_by_their_fields(byte[] header, DecodeResult expected)
    {
        var packet = default(DecodedPacket);
        Assert.Equal(expected, _decoder.Decode(LinkType.Raw, header, ref packet));
    }

    [Fact]
    public void Unknown_link_types_are_unsupported_and_arp_is_not_ip()
    {
        var packet = default(DecodedPacket);
        Assert.Equal(DecodeResult.Unsupported, _decoder.Decode(147, Frames.Ipv4Tcp(), ref packet));
        var arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        Assert.Equal(DecodeResult.NotIp, _decoder.Decode(LinkType.Ethernet, arp, ref packet));
    }

    [Fact]
    public void Ipv6_extension_headers_are_walked_to_the_transport()
    {
        // IPv6 with a hop-by-hop header (8 bytes, next header TCP) before a TCP header.
        var frame = Frames.Ipv6Tcp(0);
        var ip = frame.AsSpan(14).ToArray();
        var withHopByHop = new byte[ip.Length + 8];
        ip.AsSpan(0, 40).CopyTo(withHopByHop);
        withHopByHop[6] = 0;
        withHopByHop[5] = (byte)(ip[5] + 8);
        withHopByHop[40] = 6;
        ip.AsSpan(40).CopyTo(withHopByHop.AsSpan(48));
        var packet = default(DecodedPacket);
        Assert.Equal(DecodeResult.Ip, _decoder.Decode(LinkType.Raw, withHopByHop, ref packet));
        Assert.Equal(IpProtocol.Tcp, packet.Protocol);
        Assert.Equal(443, packet.DestinationPort);
    }
}
