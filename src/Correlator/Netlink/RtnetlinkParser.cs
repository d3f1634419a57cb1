using System.Buffers.Binary;
using System.Text;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Netlink;

/// <summary>
/// Parses rtnetlink datagrams (nlmsghdr, ifinfomsg, rtmsg and their rtattrs) into <see cref="RtnetlinkMessage"/>s.
/// Never throws: a message that is truncated or inconsistent is counted as malformed and skipped; when a header's
/// length cannot be trusted the rest of the datagram is skipped. Netlink is in host byte order; this reads little-endian,
/// which is every architecture the exporter ships for (x86-64, arm64).
/// </summary>
public static class RtnetlinkParser
{
    /// <returns>How many messages were malformed.</returns>
    public static int Parse(ReadOnlySpan<byte> datagram, ICollection<RtnetlinkMessage> into)
    {
        var malformed = 0;
        var offset = 0;
        while (offset < datagram.Length)
        {
            var rest = datagram[offset..];
            if (rest.Length < Rtnetlink.HeaderLength)
            {
                return malformed + 1;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
            if (length < Rtnetlink.HeaderLength || length > (uint)rest.Length)
            {
                return malformed + 1;
            }

            var type = BinaryPrimitives.ReadUInt16LittleEndian(rest[4..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(rest[6..]);
            var sequence = BinaryPrimitives.ReadUInt32LittleEndian(rest[8..]);
            var body = rest[Rtnetlink.HeaderLength..(int)length];
            var message = type switch
            {
                Rtnetlink.NewLink or Rtnetlink.DelLink => (RtnetlinkMessage?)ParseLink(type == Rtnetlink.DelLink, body),
                Rtnetlink.NewRoute or Rtnetlink.DelRoute => ParseRoute(type == Rtnetlink.DelRoute, (flags & Rtnetlink.FlagReplace) != 0, body),
                Rtnetlink.NlmsgDone => new RtnetlinkMessage.Done(sequence),
                Rtnetlink.NlmsgError => body.Length >= 4 ? new RtnetlinkMessage.Error(sequence, -BinaryPrimitives.ReadInt32LittleEndian(body)) : null,
                _ => Ignored.Instance,
            };

            if (message is null)
            {
                malformed++;
            }
            else if (message is not Ignored)
            {
                into.Add(message);
            }

            offset += Math.Min(Rtnetlink.Align((int)length), rest.Length);
        }

        return malformed;
    }

    private static RtnetlinkMessage.Link? ParseLink(bool deleted, ReadOnlySpan<byte> body)
    {
        if (body.Length < Rtnetlink.InterfaceInfoLength)
        {
            return null;
        }

        var index = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
        string? name = null;
        string? kind = null;
        var operState = LinkOperState.Unknown;
        foreach (var (type, value) in new AttributeReader(body[Rtnetlink.InterfaceInfoLength..]))
        {
            switch (type)
            {
                case Rtnetlink.IflaIfname:
                    name = CString(value);
                    break;
                case Rtnetlink.IflaOperstate when value.Length >= 1:
                    operState = value[0] <= (byte)LinkOperState.Up ? (LinkOperState)value[0] : LinkOperState.Unknown;
                    break;
                case Rtnetlink.IflaLinkinfo:
                    foreach (var (infoType, infoValue) in new AttributeReader(value))
                    {
                        if (infoType == Rtnetlink.IflaInfoKind)
                        {
                            kind = CString(infoValue);
                        }
                    }

                    break;
            }
        }

        if (index <= 0 || string.IsNullOrEmpty(name) || name.Length > CaptureSelectors.MaxInterfaceNameLength)
        {
            return null;
        }

        return new RtnetlinkMessage.Link(deleted, new LinkInfo(index, name, (flags & Rtnetlink.IffUp) != 0, operState, kind));
    }

    private static RtnetlinkMessage.Route? ParseRoute(bool deleted, bool replaces, ReadOnlySpan<byte> body)
    {
        if (body.Length < Rtnetlink.RouteMessageLength)
        {
            return null;
        }

        var family = body[0];
        var destinationLength = body[1];
        uint table = body[4];
        var routeType = body[7];
        uint priority = 0;
        var outputs = new List<int>(1);
        foreach (var (type, value) in new AttributeReader(body[Rtnetlink.RouteMessageLength..]))
        {
            switch (type)
            {
                case Rtnetlink.RtaOif when value.Length >= 4:
                    outputs.Add(BinaryPrimitives.ReadInt32LittleEndian(value));
                    break;
                case Rtnetlink.RtaTable when value.Length >= 4:
                    table = BinaryPrimitives.ReadUInt32LittleEndian(value);
                    break;
                case Rtnetlink.RtaPriority when value.Length >= 4:
                    priority = BinaryPrimitives.ReadUInt32LittleEndian(value);
                    break;
                case Rtnetlink.RtaMultipath:
                    if (!ReadNextHops(value, outputs))
                    {
                        return null;
                    }

                    break;
            }
        }

        return new RtnetlinkMessage.Route(deleted, family, destinationLength, table, routeType, priority, outputs, replaces && !deleted);
    }

    /// <summary>struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex; } followed by its attributes, aligned.</summary>
    private static bool ReadNextHops(ReadOnlySpan<byte> value, List<int> outputs)
    {
        var offset = 0;
        while (offset + 8 <= value.Length)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(value[offset..]);
            if (length < 8 || offset + length > value.Length)
            {
                return false;
            }

            outputs.Add(BinaryPrimitives.ReadInt32LittleEndian(value[(offset + 4)..]));
            offset += Rtnetlink.Align(length);
        }

        return offset >= value.Length;
    }

    private static string CString(ReadOnlySpan<byte> value)
    {
        var end = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? value[..end] : value);
    }

    private sealed record Ignored : RtnetlinkMessage
    {
        public static readonly Ignored Instance = new();
    }

    /// <summary>Walks struct rtattr { u16 len; u16 type; } entries; stops at the first one whose length does not fit.</summary>
    private ref struct AttributeReader(ReadOnlySpan<byte> attributes)
    {
        private ReadOnlySpan<byte> _rest = attributes;

        public Attribute Current { get; private set; }

        public readonly AttributeReader GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.Length < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            if (length < 4 || length > _rest.Length)
            {
                return false;
            }

            // NLA_F_NESTED and NLA_F_NET_BYTEORDER sit in the type's top bits.
            Current = new Attribute((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]) & 0x3fff), _rest[4..length]);
            _rest = _rest[Math.Min(Rtnetlink.Align(length), _rest.Length)..];
            return true;
        }
    }

    private readonly ref struct Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        private readonly ReadOnlySpan<byte> _value = value;

        public void Deconstruct(out ushort attributeType, out ReadOnlySpan<byte> attributeValue)
        {
            attributeType = type;
            attributeValue = _value;
        }
    }
}
