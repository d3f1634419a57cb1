namespace FlowExporter.Correlator.Decoding;

/// <summary>IP protocol numbers the decoder treats specially, and their label text.</summary>
public static class IpProtocol
{
    public const byte Icmp = 1;
    public const byte IpInIp = 4;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Dccp = 33;
    public const byte Ipv6InIp = 41;
    public const byte Gre = 47;
    public const byte Esp = 50;
    public const byte Icmpv6 = 58;
    public const byte Sctp = 132;
    public const byte UdpLite = 136;

    /// <summary>Protocols whose header starts with a source and a destination port.</summary>
    public static bool HasPorts(byte protocol) => protocol is Tcp or Udp or Sctp or Dccp or UdpLite;

    private static readonly string[] Names = BuildNames();

    /// <summary>The label value for a protocol: its lower-case name, or its number.</summary>
    public static string Name(byte protocol) => Names[protocol];

    private static string[] BuildNames()
    {
        var names = new string[256];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        names[Icmp] = "icmp";
        names[2] = "igmp";
        names[IpInIp] = "ipip";
        names[Tcp] = "tcp";
        names[Udp] = "udp";
        names[Dccp] = "dccp";
        names[Ipv6InIp] = "ipv6";
        names[Gre] = "gre";
        names[Esp] = "esp";
        names[51] = "ah";
        names[Icmpv6] = "icmpv6";
        names[89] = "ospf";
        names[103] = "pim";
        names[112] = "vrrp";
        names[Sctp] = "sctp";
        names[UdpLite] = "udplite";
        return names;
    }
}
