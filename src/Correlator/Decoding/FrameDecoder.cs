using System.Buffers.Binary;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Decoding;

/// <summary>
/// Decodes link, network and transport headers of a captured frame into a <see cref="DecodedPacket"/>, reading spans
/// only: no allocation, no exception for any input. Every length is checked against what was captured before use.
/// </summary>
public sealed class FrameDecoder
{
    private const int MaxVlanTags = 8;
    private const int MaxMplsLabels = 16;
    private const int MaxIpv6ExtensionHeaders = 16;

    /// <summary>The depth a quoted packet is decoded at: past any tunnel depth, so nothing inside a quote is opened.</summary>
    private const int QuoteDepth = 1 << 16;

    private readonly bool _decapsulate;
    private readonly int[] _vxlanPorts;
    private readonly int _genevePort;
    private readonly int _maxTunnelDepth;

    public FrameDecoder(DecoderOptions options)
    {
        _decapsulate = options.Decapsulate;
        _vxlanPorts = [.. options.VxlanPorts];
        _genevePort = options.GenevePort;
        _maxTunnelDepth = options.MaxTunnelDepth;
    }

    public DecodeResult Decode(int linkType, ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        packet = default;
        return linkType switch
        {
            LinkType.Ethernet => DecodeEthernet(frame, ref packet, 0),
            LinkType.LinuxSll => DecodeLinuxSll(frame, ref packet),
            LinkType.LinuxSll2 => DecodeLinuxSll2(frame, ref packet),
            LinkType.Null => DecodeNull(frame, ref packet, networkOrder: false),
            LinkType.Loop => DecodeNull(frame, ref packet, networkOrder: true),
            LinkType.Raw or LinkType.RawDlt12 or LinkType.RawDlt14 => DecodeIp(frame, ref packet, 0),
            LinkType.Ipv4 => DecodeIpv4(frame, ref packet, 0),
            LinkType.Ipv6 => DecodeIpv6(frame, ref packet, 0),
            _ => DecodeResult.Unsupported,
        };
    }

    private DecodeResult DecodeEthernet(ReadOnlySpan<byte> frame, ref DecodedPacket packet, int depth)
    {
        if (frame.Length < 14)
        {
            return DecodeResult.Truncated;
        }

        return DecodeEtherType(BinaryPrimitives.ReadUInt16BigEndian(frame[12..]), frame[14..], ref packet, depth);
    }

    private DecodeResult DecodeLinuxSll(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        // packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2)
        if (frame.Length < 16)
        {
            return DecodeResult.Truncated;
        }

        return DecodeEtherType(BinaryPrimitives.ReadUInt16BigEndian(frame[14..]), frame[16..], ref packet, 0);
    }

    private DecodeResult DecodeLinuxSll2(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        // protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1), address length (1), address (8)
        if (frame.Length < 20)
        {
            return DecodeResult.Truncated;
        }

        return DecodeEtherType(BinaryPrimitives.ReadUInt16BigEndian(frame), frame[20..], ref packet, 0);
    }

    private DecodeResult DecodeNull(ReadOnlySpan<byte> frame, ref DecodedPacket packet, bool networkOrder)
    {
        if (frame.Length < 4)
        {
            return DecodeResult.Truncated;
        }

        // DLT_NULL carries the address family in the capturing host's byte order; a value above 16 bits means the
        // other order. DLT_LOOP is always network order.
        var family = networkOrder ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (family > 0xFFFF)
        {
            family = BinaryPrimitives.ReverseEndianness(family);
        }

        return family switch
        {
            2 => DecodeIpv4(frame[4..], ref packet, 0),
            10 or 24 or 28 or 30 => DecodeIpv6(frame[4..], ref packet, 0),
            _ => DecodeResult.NotIp,
        };
    }

    private DecodeResult DecodeEtherType(ushort etherType, ReadOnlySpan<byte> payload, ref DecodedPacket packet, int depth)
    {
        for (var tags = 0; ; tags++)
        {
            switch (etherType)
            {
                case 0x0800:
                    return DecodeIpv4(payload, ref packet, depth);
                case 0x86DD:
                    return DecodeIpv6(payload, ref packet, depth);
                case 0x8100 or 0x88A8 or 0x9100 or 0x9200:
                    if (tags >= MaxVlanTags)
                    {
                        return DecodeResult.Unsupported;
                    }

                    if (payload.Length < 4)
                    {
                        return DecodeResult.Truncated;
                    }

                    if (packet.VlanId == 0 && depth == 0)
                    {
                        packet.VlanId = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(payload) & 0x0FFF);
                    }

                    etherType = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
                    payload = payload[4..];
                    continue;
                case 0x8847 or 0x8848:
                    return DecodeMpls(payload, ref packet, depth);
                case 0x8864:
                    return DecodePppoeSession(payload, ref packet, depth);
                case <= 1500:
                    // An 802.3 length field: only LLC/SNAP with the Ethernet OUI carries an EtherType.
                    if (payload.Length < 3)
                    {
                        return DecodeResult.Truncated;
                    }

                    if (payload[0] != 0xAA || payload[1] != 0xAA || payload[2] != 0x03)
                    {
                        return DecodeResult.NotIp;
                    }

                    if (payload.Length < 8)
                    {
                        return DecodeResult.Truncated;
                    }

                    if (payload[3] != 0 || payload[4] != 0 || payload[5] != 0 || tags >= MaxVlanTags)
                    {
                        return DecodeResult.NotIp;
                    }

                    etherType = BinaryPrimitives.ReadUInt16BigEndian(payload[6..]);
                    payload = payload[8..];
                    continue;
                default:
                    return DecodeResult.NotIp;
            }
        }
    }

    private DecodeResult DecodeMpls(ReadOnlySpan<byte> payload, ref DecodedPacket packet, int depth)
    {
        for (var i = 0; i < MaxMplsLabels; i++)
        {
            if (payload.Length < 4)
            {
                return DecodeResult.Truncated;
            }

            var bottomOfStack = (payload[2] & 0x01) != 0;
            payload = payload[4..];
            if (!bottomOfStack)
            {
                continue;
            }

            if (payload.IsEmpty)
            {
                return DecodeResult.Truncated;
            }

            return (payload[0] >> 4) switch
            {
                4 => DecodeIpv4(payload, ref packet, depth),
                6 => DecodeIpv6(payload, ref packet, depth),
                // A pseudowire control word (first nibble 0) followed by an Ethernet frame.
                0 when payload.Length >= 4 => DecodeEthernet(payload[4..], ref packet, depth),
                0 => DecodeResult.Truncated,
                _ => DecodeResult.Unsupported,
            };
        }

        return DecodeResult.Unsupported;
    }

    private DecodeResult DecodePppoeSession(ReadOnlySpan<byte> payload, ref DecodedPacket packet, int depth)
    {
        // version/type (1), code (1), session id (2), length (2), then the PPP protocol (2)
        if (payload.Length < 8)
        {
            return DecodeResult.Truncated;
        }

        return BinaryPrimitives.ReadUInt16BigEndian(payload[6..]) switch
        {
            0x0021 => DecodeIpv4(payload[8..], ref packet, depth),
            0x0057 => DecodeIpv6(payload[8..], ref packet, depth),
            _ => DecodeResult.NotIp,
        };
    }

    private DecodeResult DecodeIp(ReadOnlySpan<byte> payload, ref DecodedPacket packet, int depth)
    {
        if (payload.IsEmpty)
        {
            return DecodeResult.Truncated;
        }

        return (payload[0] >> 4) switch
        {
            4 => DecodeIpv4(payload, ref packet, depth),
            6 => DecodeIpv6(payload, ref packet, depth),
            _ => DecodeResult.BadVersion,
        };
    }

    private DecodeResult DecodeIpv4(ReadOnlySpan<byte> ip, ref DecodedPacket packet, int depth)
    {
        if (ip.IsEmpty)
        {
            return DecodeResult.Truncated;
        }

        if (ip[0] >> 4 != 4)
        {
            return DecodeResult.BadVersion;
        }

        if (ip.Length < 20)
        {
            return DecodeResult.Truncated;
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < 20)
        {
            return DecodeResult.BadHeaderLength;
        }

        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);

        // A total length of 0 is what segmentation offload leaves on oversized frames: take what was captured.
        if (totalLength != 0 && totalLength < headerLength)
        {
            return DecodeResult.BadHeaderLength;
        }

        if (ip.Length < headerLength)
        {
            return DecodeResult.Truncated;
        }

        packet.Protocol = ip[9];
        packet.Source = IpAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]));
        packet.Destination = IpAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(ip[16..]));
        packet.PayloadLength = totalLength == 0 ? ip.Length - headerLength : totalLength - headerLength;
        packet.IpLength = totalLength == 0 ? ip.Length : totalLength;

        var fragmentField = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        var moreFragments = (fragmentField & 0x2000) != 0;
        var fragmentOffset = (ushort)((fragmentField & 0x1FFF) * 8);
        if (moreFragments || fragmentOffset != 0)
        {
            packet.IsFragment = true;
            packet.MoreFragments = moreFragments;
            packet.FragmentOffset = fragmentOffset;
            packet.FragmentId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            if (fragmentOffset != 0)
            {
                return DecodeResult.Ip;
            }
        }

        var end = totalLength == 0 ? ip.Length : Math.Min(ip.Length, (int)totalLength);
        return DecodeTransport(ip[headerLength..end], ref packet, depth);
    }

    private DecodeResult DecodeIpv6(ReadOnlySpan<byte> ip, ref DecodedPacket packet, int depth)
    {
        if (ip.IsEmpty)
        {
            return DecodeResult.Truncated;
        }

        if (ip[0] >> 4 != 6)
        {
            return DecodeResult.BadVersion;
        }

        if (ip.Length < 40)
        {
            return DecodeResult.Truncated;
        }

        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var next = ip[6];
        packet.IpLength = payloadLength == 0 ? ip.Length : 40 + payloadLength;
        packet.Source = IpAddress.FromV6(ip[8..24]);
        packet.Destination = IpAddress.FromV6(ip[24..40]);

        // A payload length of 0 is a jumbogram (or offload): take what was captured.
        var end = payloadLength == 0 ? ip.Length : Math.Min(ip.Length, 40 + payloadLength);
        var offset = 40;
        for (var i = 0; i < MaxIpv6ExtensionHeaders; i++)
        {
            switch (next)
            {
                case 0 or 43 or 60 or 135 or 139 or 140:
                    if (end < offset + 2)
                    {
                        return DecodeResult.Truncated;
                    }

                    next = ip[offset];
                    offset += (ip[offset + 1] + 1) * 8;
                    break;
                case 51:
                    if (end < offset + 2)
                    {
                        return DecodeResult.Truncated;
                    }

                    next = ip[offset];
                    offset += (ip[offset + 1] + 2) * 4;
                    break;
                case 44:
                    if (end < offset + 8)
                    {
                        return DecodeResult.Truncated;
                    }

                    var fragment = ip[offset..];
                    next = fragment[0];
                    var fragmentField = BinaryPrimitives.ReadUInt16BigEndian(fragment[2..]);
                    packet.IsFragment = true;
                    packet.FragmentOffset = (ushort)(fragmentField & 0xFFF8);
                    packet.MoreFragments = (fragmentField & 0x0001) != 0;
                    packet.FragmentId = BinaryPrimitives.ReadUInt32BigEndian(fragment[4..]);
                    offset += 8;
                    if (packet.FragmentOffset != 0)
                    {
                        packet.Protocol = next;
                        packet.PayloadLength = Math.Max(0, 40 + payloadLength - offset);
                        return DecodeResult.Ip;
                    }

                    break;
                default:
                    packet.Protocol = next;
                    packet.PayloadLength = payloadLength == 0 ? end - offset : Math.Max(0, 40 + payloadLength - offset);
                    return offset > end ? DecodeResult.Truncated : DecodeTransport(ip[offset..end], ref packet, depth);
            }

            if (offset > end)
            {
                return payloadLength != 0 && offset > 40 + payloadLength ? DecodeResult.BadHeaderLength : DecodeResult.Truncated;
            }
        }

        return DecodeResult.Unsupported;
    }

    private DecodeResult DecodeTransport(ReadOnlySpan<byte> transport, ref DecodedPacket packet, int depth)
    {
        var protocol = packet.Protocol;
        if (IpProtocol.HasPorts(protocol))
        {
            if (transport.Length < 4)
            {
                return DecodeResult.Truncated;
            }

            packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
            packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
            packet.HasPorts = true;
            if (protocol == IpProtocol.Tcp)
            {
                return DecodeTcp(transport, ref packet);
            }

            if (protocol == IpProtocol.Udp && _decapsulate && depth < _maxTunnelDepth && transport.Length >= 8)
            {
                var port = packet.DestinationPort;
                if (port == _genevePort)
                {
                    return OpenTunnel(transport[8..], TunnelPayload.Geneve, ref packet, depth);
                }

                foreach (var vxlanPort in _vxlanPorts)
                {
                    if (port == vxlanPort)
                    {
                        return OpenTunnel(transport[8..], TunnelPayload.Vxlan, ref packet, depth);
                    }
                }
            }

            return DecodeResult.Ip;
        }

        switch (protocol)
        {
            case IpProtocol.Icmp or IpProtocol.Icmpv6:
                if (transport.Length >= 2)
                {
                    packet.IcmpType = transport[0];
                    packet.IcmpCode = transport[1];
                    if (depth < QuoteDepth && IsDestinationUnreachable(protocol, packet.IcmpType) && transport.Length > 8)
                    {
                        ReadQuote(protocol, transport[8..], ref packet);
                    }
                }

                return DecodeResult.Ip;
            case IpProtocol.Gre when _decapsulate && depth < _maxTunnelDepth:
                return OpenTunnel(transport, TunnelPayload.Gre, ref packet, depth);
            case IpProtocol.IpInIp when _decapsulate && depth < _maxTunnelDepth:
                return OpenTunnel(transport, TunnelPayload.Ipv4, ref packet, depth);
            case IpProtocol.Ipv6InIp when _decapsulate && depth < _maxTunnelDepth:
                return OpenTunnel(transport, TunnelPayload.Ipv6, ref packet, depth);
            default:
                return DecodeResult.Ip;
        }
    }

    private static bool IsDestinationUnreachable(byte protocol, byte type) =>
        protocol == IpProtocol.Icmp ? type == 3 : type == 1;

    /// <summary>
    /// Reads the IP header and ports of the packet an ICMP error quotes (RFC 792: its IP header and at least 8 bytes
    /// of what followed; RFC 4443: as much as fits). The quote is decoded as a packet of its own, into a copy on the
    /// stack, with tunnels and further quotes closed; what it cannot read leaves <see cref="DecodedPacket.QuotedProtocol"/> 0.
    /// </summary>
    private void ReadQuote(byte protocol, ReadOnlySpan<byte> quote, ref DecodedPacket packet)
    {
        var quoted = default(DecodedPacket);
        var result = protocol == IpProtocol.Icmp ? DecodeIpv4(quote, ref quoted, QuoteDepth) : DecodeIpv6(quote, ref quoted, QuoteDepth);
        if (result != DecodeResult.Ip || !quoted.HasPorts)
        {
            return;
        }

        packet.QuotedSource = quoted.Source;
        packet.QuotedDestination = quoted.Destination;
        packet.QuotedSourcePort = quoted.SourcePort;
        packet.QuotedDestinationPort = quoted.DestinationPort;
        packet.QuotedProtocol = quoted.Protocol;
    }

    private static DecodeResult DecodeTcp(ReadOnlySpan<byte> tcp, ref DecodedPacket packet)
    {
        // Cut by the snap length after the ports: the connection is known, its flags are not (as tshark counts it).
        if (tcp.Length < 14)
        {
            return DecodeResult.Ip;
        }

        var headerLength = (tcp[12] >> 4) * 4;
        if (headerLength < 20)
        {
            return DecodeResult.BadHeaderLength;
        }

        packet.TcpSequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        packet.TcpAcknowledgement = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        packet.TcpFlags = (TcpFlags)tcp[13];
        if (tcp.Length >= 16)
        {
            packet.TcpWindow = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]);
        }

        // As tshark: sequence analysis only for a segment whose fixed header was captured and whose IP length holds
        // its whole header (otherwise its length is unknown).
        packet.HasTcpHeader = tcp.Length >= 20 && packet.PayloadLength >= headerLength;

        packet.PayloadLength = Math.Max(0, packet.PayloadLength - headerLength);
        return DecodeResult.Ip;
    }

    private enum TunnelPayload
    {
        Vxlan,
        Geneve,
        Gre,
        Ipv4,
        Ipv6,
    }

    /// <summary>
    /// Decodes the packet inside a tunnel in place of the outer one. When the inner packet cannot be read (cut by the
    /// snap length, not IP, not a tunnel after all) the outer packet stands: its bytes are still accounted.
    /// </summary>
    private DecodeResult OpenTunnel(ReadOnlySpan<byte> payload, TunnelPayload kind, ref DecodedPacket packet, int depth)
    {
        var outer = packet;
        packet = default;
        packet.VlanId = outer.VlanId;
        var result = kind switch
        {
            TunnelPayload.Vxlan => DecodeVxlan(payload, ref packet, depth + 1),
            TunnelPayload.Geneve => DecodeGeneve(payload, ref packet, depth + 1),
            TunnelPayload.Gre => DecodeGre(payload, ref packet, depth + 1),
            TunnelPayload.Ipv4 => DecodeIpv4(payload, ref packet, depth + 1),
            _ => DecodeIpv6(payload, ref packet, depth + 1),
        };
        if (result != DecodeResult.Ip)
        {
            packet = outer;
            return DecodeResult.Ip;
        }

        packet.TunnelDepth++;
        return result;
    }

    private DecodeResult DecodeVxlan(ReadOnlySpan<byte> vxlan, ref DecodedPacket packet, int depth)
    {
        if (vxlan.Length < 8 || (vxlan[0] & 0x08) == 0)
        {
            return DecodeResult.Unsupported;
        }

        return DecodeEthernet(vxlan[8..], ref packet, depth);
    }

    private DecodeResult DecodeGeneve(ReadOnlySpan<byte> geneve, ref DecodedPacket packet, int depth)
    {
        if (geneve.Length < 8 || geneve[0] >> 6 != 0)
        {
            return DecodeResult.Unsupported;
        }

        var headerLength = 8 + ((geneve[0] & 0x3F) * 4);
        if (geneve.Length < headerLength)
        {
            return DecodeResult.Truncated;
        }

        return DecodeTunnelProtocol(BinaryPrimitives.ReadUInt16BigEndian(geneve[2..]), geneve[headerLength..], ref packet, depth);
    }

    private DecodeResult DecodeGre(ReadOnlySpan<byte> gre, ref DecodedPacket packet, int depth)
    {
        if (gre.Length < 4)
        {
            return DecodeResult.Truncated;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(gre);
        var version = flags & 0x7;
        var routing = (flags & 0x4000) != 0;
        if (version != 0 || routing)
        {
            return DecodeResult.Unsupported;
        }

        var headerLength = 4;
        if ((flags & 0x8000) != 0)
        {
            headerLength += 4;
        }

        if ((flags & 0x2000) != 0)
        {
            headerLength += 4;
        }

        var sequenced = (flags & 0x1000) != 0;
        if (sequenced)
        {
            headerLength += 4;
        }

        if (gre.Length < headerLength)
        {
            return DecodeResult.Truncated;
        }

        var protocol = BinaryPrimitives.ReadUInt16BigEndian(gre[2..]);
        var payload = gre[headerLength..];
        switch (protocol)
        {
            case 0x88BE when sequenced:
                // ERSPAN type II: an 8-byte header, then the mirrored Ethernet frame.
                return payload.Length < 8 ? DecodeResult.Truncated : DecodeEthernet(payload[8..], ref packet, depth);
            case 0x22EB:
                // ERSPAN type III: a 12-byte header, 8 more when the platform-specific subheader flag (O) is set.
                if (payload.Length < 12)
                {
                    return DecodeResult.Truncated;
                }

                var erspanLength = (payload[11] & 0x01) != 0 ? 20 : 12;
                return payload.Length < erspanLength ? DecodeResult.Truncated : DecodeEthernet(payload[erspanLength..], ref packet, depth);
            default:
                return DecodeTunnelProtocol(protocol, payload, ref packet, depth);
        }
    }

    private DecodeResult DecodeTunnelProtocol(ushort protocol, ReadOnlySpan<byte> payload, ref DecodedPacket packet, int depth) =>
        protocol switch
        {
            0x6558 => DecodeEthernet(payload, ref packet, depth),
            0x0800 => DecodeIpv4(payload, ref packet, depth),
            0x86DD => DecodeIpv6(payload, ref packet, depth),
            0x8847 or 0x8848 => DecodeMpls(payload, ref packet, depth),
            _ => DecodeResult.Unsupported,
        };
}
