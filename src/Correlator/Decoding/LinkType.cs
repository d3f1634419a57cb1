namespace FlowExporter.Correlator.Decoding;

/// <summary>The link-layer header types the decoder understands (tcpdump.org LINKTYPE_/DLT_ values).</summary>
public static class LinkType
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int RawDlt12 = 12;
    public const int RawDlt14 = 14;
    public const int Raw = 101;
    public const int Loop = 108;
    public const int LinuxSll = 113;
    public const int Ipv4 = 228;
    public const int Ipv6 = 229;
    public const int LinuxSll2 = 276;

    public static bool IsSupported(int linkType) => linkType is Null or Ethernet or RawDlt12 or RawDlt14 or Raw or Loop
        or LinuxSll or Ipv4 or Ipv6 or LinuxSll2;
}
