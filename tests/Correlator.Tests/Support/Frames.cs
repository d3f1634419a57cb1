using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace FlowExporter.Correlator.Tests.Support;

/// <summary>Valid frames built with PacketDotNet (an independent encoder) for the decoder tests.</summary>
internal static class Frames
{
    private static readonly PhysicalAddress MacA = PhysicalAddress.Parse("02-00-00-00-00-0A");
    private static readonly PhysicalAddress MacB = PhysicalAddress.Parse("02-00-00-00-00-0B");

    public static byte[] Ipv4Tcp(int payload = 32) => Ethernet(EthernetType.IPv4, Ipv4(Tcp(payload)));

    public static byte[] Ipv6Tcp(int payload = 32) => Ethernet(EthernetType.IPv6, Ipv6(Tcp(payload)));

    /// <summary>An IPv4 TCP frame with one 802.1Q tag (VLAN 42) inserted after the MAC addresses.</summary>
    public static byte[] VlanIpv4Tcp(int payload = 32) => InsertVlanTag(Ipv4Tcp(payload), 0x8100, 42);

    /// <summary>An 802.1ad S-tag (VLAN 200) over an 802.1Q C-tag (VLAN 42).</summary>
    public static byte[] QinQIpv4Tcp(int payload = 32) => InsertVlanTag(VlanIpv4Tcp(payload), 0x88A8, 200);

    public static byte[] Ipv4Udp(int payload = 32) => Ethernet(EthernetType.IPv4, Ipv4(new UdpPacket(5353, 53) { PayloadData = new byte[payload] }));

    /// <summary>VXLAN (UDP 4789) carrying an inner Ethernet IPv4 TCP frame.</summary>
    public static byte[] VxlanIpv4Tcp()
    {
        var inner = Ipv4Tcp();
        var vxlan = new byte[8 + inner.Length];
        vxlan[0] = 0x08;
        vxlan[6] = 0x01;
        inner.CopyTo(vxlan, 8);
        var outerIp = new IPv4Packet(IPAddress.Parse("192.168.1.1"), IPAddress.Parse("192.168.1.2"))
        {
            PayloadPacket = new UdpPacket(49152, 4789) { PayloadData = vxlan },
        };
        return Ethernet(EthernetType.IPv4, outerIp);
    }

    /// <summary>GRE (no options) carrying an inner IPv4 UDP packet.</summary>
    public static byte[] GreIpv4Udp()
    {
        var inner = Ipv4(new UdpPacket(5353, 53) { PayloadData = new byte[16] }).Bytes;
        var gre = new byte[4 + inner.Length];
        gre[2] = 0x08;
        inner.CopyTo(gre, 4);
        var outer = new IPv4Packet(IPAddress.Parse("172.16.0.1"), IPAddress.Parse("172.16.0.2")) { Protocol = ProtocolType.Gre, PayloadData = gre };
        outer.UpdateCalculatedValues();
        return Ethernet(EthernetType.IPv4, outer);
    }

    public static TcpPacket Tcp(int payload) => new(40000, 443)
    {
        Synchronize = true,
        SequenceNumber = 1000,
        WindowSize = 64240,
        PayloadData = new byte[payload],
    };

    public static IPv4Packet Ipv4(Packet payload)
    {
        var ip = new IPv4Packet(IPAddress.Parse("10.99.0.1"), IPAddress.Parse("10.99.0.2")) { PayloadPacket = payload };
        ip.UpdateCalculatedValues();
        return ip;
    }

    public static IPv6Packet Ipv6(Packet payload)
    {
        var ip = new IPv6Packet(IPAddress.Parse("fd00::1"), IPAddress.Parse("fd00::2")) { PayloadPacket = payload };
        ip.UpdateCalculatedValues();
        return ip;
    }

    public static byte[] Ethernet(EthernetType type, Packet payload)
    {
        var ethernet = new EthernetPacket(MacA, MacB, type) { PayloadPacket = payload };
        ethernet.UpdateCalculatedValues();
        return ethernet.Bytes;
    }

    private static byte[] InsertVlanTag(byte[] frame, ushort tpid, ushort vlan)
    {
        var tagged = new byte[frame.Length + 4];
        frame.AsSpan(0, 12).CopyTo(tagged);
        tagged[12] = (byte)(tpid >> 8);
        tagged[13] = (byte)tpid;
        tagged[14] = (byte)(vlan >> 8);
        tagged[15] = (byte)vlan;
        frame.AsSpan(12).CopyTo(tagged.AsSpan(16));
        return tagged;
    }
}
