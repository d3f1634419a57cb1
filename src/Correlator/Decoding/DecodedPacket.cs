using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Decoding;

#pragma warning disable CA1051 // Fields on purpose: filled in place on the hot path.

/// <summary>
/// The fields of one frame that connection accounting needs, filled in place by <see cref="FrameDecoder"/>.
/// A mutable struct on purpose: the hot path decodes into one instance per packet without copying or allocating.
/// </summary>
public struct DecodedPacket
{
    public IpAddress Source;
    public IpAddress Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte Protocol;

    /// <summary>True when the ports were read (TCP, UDP, SCTP, DCCP, UDP-Lite, and not a later fragment).</summary>
    public bool HasPorts;

    /// <summary>True when the whole fixed TCP header (20 bytes) was captured: sequence analysis needs all of it.</summary>
    public bool HasTcpHeader;

    public TcpFlags TcpFlags;
    public uint TcpSequence;
    public uint TcpAcknowledgement;
    public ushort TcpWindow;

    /// <summary>
    /// IP octets of the (innermost) IP packet: header and payload as its header announces them (what was captured when
    /// the header says 0); the octetDeltaCount of flow records.
    /// </summary>
    public int IpLength;

    /// <summary>Transport payload bytes announced by the IP header (0 when unknown).</summary>
    public int PayloadLength;

    public byte IcmpType;
    public byte IcmpCode;

    /// <summary>
    /// For an ICMP or ICMPv6 destination unreachable: the addresses, protocol and ports of the packet it quotes (the
    /// packet that could not be delivered, as its sender sent it). <see cref="QuotedProtocol"/> is 0 when nothing
    /// usable was quoted.
    /// </summary>
    public IpAddress QuotedSource;
    public IpAddress QuotedDestination;
    public ushort QuotedSourcePort;
    public ushort QuotedDestinationPort;
    public byte QuotedProtocol;

    /// <summary>True for any IP fragment; <see cref="FragmentOffset"/> is 0 for the first one.</summary>
    public bool IsFragment;
    public bool MoreFragments;
    public ushort FragmentOffset;
    public uint FragmentId;

    /// <summary>How many tunnel headers (VXLAN, Geneve, GRE, IP-in-IP) were opened to reach this packet.</summary>
    public byte TunnelDepth;

    /// <summary>The outermost 802.1Q VLAN id, or 0 when untagged.</summary>
    public ushort VlanId;

    /// <summary>True for a fragment after the first one: it carries no transport header.</summary>
    public readonly bool IsLaterFragment => IsFragment && FragmentOffset != 0;
}
