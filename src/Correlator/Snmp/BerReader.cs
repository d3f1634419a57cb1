namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// Reads BER (the definite-length subset SNMP uses) from a span. Every read checks bounds against what is left of the
/// enclosing element, so no length field can make it read past or allocate beyond the input; anything malformed throws
/// <see cref="SnmpDecodeException"/>.
/// </summary>
public ref struct BerReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _end;
    private int _position;

    public BerReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _end = data.Length;
        _position = 0;
    }

    private BerReader(ReadOnlySpan<byte> data, int start, int end)
    {
        _data = data;
        _position = start;
        _end = end;
    }

    public readonly int Position => _position;

    public readonly bool HasMore => _position < _end;

    public readonly byte PeekTag()
    {
        if (_position >= _end)
        {
            throw Error("unexpected end of data");
        }

        return _data[_position];
    }

    /// <summary>Reads a tag and length and returns the content's start; the reader then stands at the content.</summary>
    public int ReadHeader(out byte tag, out int length)
    {
        if (_position >= _end)
        {
            throw Error("unexpected end of data");
        }

        tag = _data[_position++];
        if ((tag & 0x1f) == 0x1f)
        {
            throw Error("multi-byte tags are not used by SNMP");
        }

        if (_position >= _end)
        {
            throw Error("missing length");
        }

        int first = _data[_position++];
        if (first < 0x80)
        {
            length = first;
        }
        else
        {
            var count = first & 0x7f;
            if (count == 0)
            {
                throw Error("indefinite length is not allowed");
            }

            if (count > 4)
            {
                throw Error("length field too long");
            }

            long value = 0;
            for (var i = 0; i < count; i++)
            {
                if (_position >= _end)
                {
                    throw Error("truncated length");
                }

                value = (value << 8) | _data[_position++];
            }

            if (value > int.MaxValue)
            {
                throw Error("length too large");
            }

            length = (int)value;
        }

        if (length > _end - _position)
        {
            throw Error($"length {length} exceeds the {_end - _position} bytes left");
        }

        return _position;
    }

    /// <summary>Enters a constructed element with the expected tag; returns a reader over its content and skips it here.</summary>
    public BerReader ReadSequence(byte expectedTag)
    {
        var start = ReadHeader(out var tag, out var length);
        if (tag != expectedTag)
        {
            throw Error($"expected tag 0x{expectedTag:x2}, found 0x{tag:x2}", start);
        }

        _position = start + length;
        return new BerReader(_data, start, start + length);
    }

    /// <summary>Reads any element and returns its raw content.</summary>
    public ReadOnlySpan<byte> ReadElement(out byte tag)
    {
        var start = ReadHeader(out tag, out var length);
        _position = start + length;
        return _data.Slice(start, length);
    }

    /// <summary>Reads a primitive element with the expected tag.</summary>
    public ReadOnlySpan<byte> ReadPrimitive(byte expectedTag)
    {
        var content = ReadElement(out var tag);
        if (tag != expectedTag)
        {
            throw Error($"expected tag 0x{expectedTag:x2}, found 0x{tag:x2}");
        }

        return content;
    }

    public int ReadInt32() => DecodeInt32(ReadPrimitive((byte)SnmpType.Integer));

    public byte[] ReadOctetString() => ReadPrimitive((byte)SnmpType.OctetString).ToArray();

    /// <summary>The offset in the whole input at which an OCTET STRING's content starts (for in-place digest checks).</summary>
    public int ReadOctetStringOffset(out int length)
    {
        var start = ReadHeader(out var tag, out length);
        if (tag != (byte)SnmpType.OctetString)
        {
            throw Error($"expected an OCTET STRING, found 0x{tag:x2}", start);
        }

        _position = start + length;
        return start;
    }

    public void ReadNull()
    {
        if (ReadPrimitive((byte)SnmpType.Null).Length != 0)
        {
            throw Error("NULL with content");
        }
    }

    public Oid ReadOid() => DecodeOid(ReadPrimitive((byte)SnmpType.ObjectIdentifier));

    public SnmpValue ReadValue()
    {
        var content = ReadElement(out var tag);
        switch ((SnmpType)tag)
        {
            case SnmpType.Integer:
                return SnmpValue.Integer(DecodeInt32(content));
            case SnmpType.OctetString:
                return SnmpValue.OctetString(content.ToArray());
            case SnmpType.Null:
                return content.IsEmpty ? SnmpValue.Null : throw Error("NULL with content");
            case SnmpType.ObjectIdentifier:
                return SnmpValue.Identifier(DecodeOid(content));
            case SnmpType.IpAddress:
                return content.Length == 4 ? SnmpValue.IpAddress(content.ToArray()) : throw Error("IpAddress must be 4 bytes");
            case SnmpType.Counter32:
            case SnmpType.Gauge32:
            case SnmpType.TimeTicks:
                return SnmpValue.Unsigned((SnmpType)tag, DecodeUnsigned(content, 32));
            case SnmpType.Counter64:
                return SnmpValue.Unsigned(SnmpType.Counter64, DecodeUnsigned(content, 64));
            case SnmpType.Opaque:
                return new SnmpValue(SnmpType.Opaque, 0, content.ToArray(), null);
            case SnmpType.NoSuchObject:
            case SnmpType.NoSuchInstance:
            case SnmpType.EndOfMibView:
                return content.IsEmpty ? SnmpValue.Exception((SnmpType)tag) : throw Error("exception value with content");
            default:
                throw Error($"unknown value type 0x{tag:x2}");
        }
    }

    public readonly void ExpectEnd()
    {
        if (_position != _end)
        {
            throw Error($"{_end - _position} unexpected trailing bytes");
        }
    }

    private readonly SnmpDecodeException Error(string problem, int? at = null) =>
        new($"malformed SNMP message at byte {at ?? _position}: {problem}");

    private readonly int DecodeInt32(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty || content.Length > 4)
        {
            throw Error($"INTEGER of {content.Length} bytes");
        }

        int value = (sbyte)content[0];
        for (var i = 1; i < content.Length; i++)
        {
            value = (value << 8) | content[i];
        }

        return value;
    }

    private readonly ulong DecodeUnsigned(ReadOnlySpan<byte> content, int bits)
    {
        // An unsigned value of N bits is encoded in up to N/8 + 1 bytes (a leading zero keeps it positive). Agents
        // that send 0xFF.. prefixes (negative) are wrong but common; we take the low bits as net-snmp does.
        if (content.IsEmpty || content.Length > (bits / 8) + 1)
        {
            throw Error($"unsigned value of {content.Length} bytes");
        }

        if (content.Length == (bits / 8) + 1 && content[0] != 0)
        {
            throw Error("unsigned value out of range");
        }

        ulong value = 0;
        foreach (var b in content)
        {
            value = (value << 8) | b;
        }

        return bits == 32 ? value & 0xffff_ffff : value;
    }

    private readonly Oid DecodeOid(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty)
        {
            throw Error("empty OID");
        }

        // Each byte yields at most one sub-identifier, and the first byte yields two.
        var parts = new uint[Math.Min(content.Length + 1, Oid.MaxLength)];
        var count = 0;
        ulong current = 0;
        var digits = 0;
        foreach (var b in content)
        {
            if (digits == 0 && b == 0x80)
            {
                throw Error("OID sub-identifier with a leading 0x80");
            }

            current = (current << 7) | (uint)(b & 0x7f);
            digits++;
            if (current > uint.MaxValue)
            {
                throw Error("OID sub-identifier exceeds 32 bits");
            }

            if ((b & 0x80) != 0)
            {
                continue;
            }

            if (count == 0)
            {
                var first = current < 40 ? 0u : current < 80 ? 1u : 2u;
                parts[count++] = first;
                parts[count++] = (uint)(current - (first * 40));
            }
            else
            {
                if (count >= Oid.MaxLength)
                {
                    throw Error("OID longer than 128 sub-identifiers");
                }

                parts[count++] = (uint)current;
            }

            current = 0;
            digits = 0;
        }

        if (digits != 0)
        {
            throw Error("truncated OID sub-identifier");
        }

        return Oid.Wrap(count == parts.Length ? parts : parts[..count]);
    }
}
