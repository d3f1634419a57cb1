namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// Writes BER with definite lengths, in the minimal form net-snmp writes. Constructed elements are opened and closed;
/// their length is patched in when they close.
/// </summary>
public sealed class BerWriter
{
    private const int MaxDepth = 16;
    private readonly int[] _open = new int[MaxDepth];
    private byte[] _buffer;
    private int _depth;

    public BerWriter(int capacity = 512) => _buffer = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    /// <summary>Direct access to written bytes, for patching a digest in place.</summary>
    public Span<byte> WrittenMutable => _buffer.AsSpan(0, Length);

    public byte[] ToArray() => Written.ToArray();

    public void Clear()
    {
        Length = 0;
        _depth = 0;
    }

    public void Begin(byte tag)
    {
        if (_depth == MaxDepth)
        {
            throw new InvalidOperationException("BER nesting too deep");
        }

        WriteByte(tag);
        _open[_depth++] = Length;
        WriteByte(0);
    }

    public void End()
    {
        var lengthAt = _open[--_depth];
        var contentStart = lengthAt + 1;
        var contentLength = Length - contentStart;
        var extra = LengthOfLength(contentLength) - 1;
        if (extra > 0)
        {
            Ensure(extra);
            Array.Copy(_buffer, contentStart, _buffer, contentStart + extra, contentLength);
            Length += extra;
        }

        WriteLengthAt(lengthAt, contentLength);
    }

    public void WriteInteger(long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        var count = 8;
        for (var i = 7; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        var start = 0;
        while (start < 7 && ((bytes[start] == 0 && (bytes[start + 1] & 0x80) == 0) || (bytes[start] == 0xff && (bytes[start + 1] & 0x80) != 0)))
        {
            start++;
        }

        count -= start;
        WritePrimitive((byte)SnmpType.Integer, bytes.Slice(start, count));
    }

    public void WriteUnsigned(SnmpType type, ulong value)
    {
        Span<byte> bytes = stackalloc byte[9];
        for (var i = 8; i >= 1; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        var start = 0;
        while (start < 8 && bytes[start] == 0 && (bytes[start + 1] & 0x80) == 0)
        {
            start++;
        }

        WritePrimitive((byte)type, bytes[start..]);
    }

    public void WriteOctetString(ReadOnlySpan<byte> value) => WritePrimitive((byte)SnmpType.OctetString, value);

    public void WriteNull() => WritePrimitive((byte)SnmpType.Null, default);

    public void WriteOid(Oid oid)
    {
        ArgumentNullException.ThrowIfNull(oid);
        if (oid.Length < 2)
        {
            throw new ArgumentException("an OID needs at least two sub-identifiers", nameof(oid));
        }

        Span<byte> bytes = stackalloc byte[(oid.Length * 5) + 5];
        var count = WriteSubIdentifier(bytes, (oid[0] * 40UL) + oid[1]);
        for (var i = 2; i < oid.Length; i++)
        {
            count += WriteSubIdentifier(bytes[count..], oid[i]);
        }

        WritePrimitive((byte)SnmpType.ObjectIdentifier, bytes[..count]);
    }

    public void WriteValue(SnmpValue value)
    {
        switch (value.Type)
        {
            case SnmpType.Integer:
                WriteInteger(value.AsInt64);
                break;
            case SnmpType.OctetString:
            case SnmpType.IpAddress:
            case SnmpType.Opaque:
                WritePrimitive((byte)value.Type, value.Bytes);
                break;
            case SnmpType.ObjectIdentifier:
                WriteOid(value.ObjectId!);
                break;
            case SnmpType.Counter32:
            case SnmpType.Gauge32:
            case SnmpType.TimeTicks:
            case SnmpType.Counter64:
                WriteUnsigned(value.Type, value.Number);
                break;
            default:
                WritePrimitive((byte)value.Type, default);
                break;
        }
    }

    /// <summary>Appends already-encoded BER (a scoped PDU encoded on its own).</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded)
    {
        Ensure(encoded.Length);
        encoded.CopyTo(_buffer.AsSpan(Length));
        Length += encoded.Length;
    }

    public void WritePrimitive(byte tag, ReadOnlySpan<byte> content)
    {
        WriteByte(tag);
        var lengthAt = Length;
        var lengthBytes = LengthOfLength(content.Length);
        Ensure(lengthBytes + content.Length);
        Length += lengthBytes;
        WriteLengthAt(lengthAt, content.Length);
        content.CopyTo(_buffer.AsSpan(Length));
        Length += content.Length;
    }

    private static int WriteSubIdentifier(Span<byte> destination, ulong value)
    {
        var groups = 1;
        for (var v = value >> 7; v != 0; v >>= 7)
        {
            groups++;
        }

        for (var i = 0; i < groups; i++)
        {
            var shift = 7 * (groups - 1 - i);
            destination[i] = (byte)(((value >> shift) & 0x7f) | (i < groups - 1 ? 0x80UL : 0));
        }

        return groups;
    }

    private static int LengthOfLength(int length) => length < 0x80 ? 1 : length <= 0xff ? 2 : length <= 0xffff ? 3 : length <= 0xffffff ? 4 : 5;

    private void WriteLengthAt(int at, int length)
    {
        var size = LengthOfLength(length);
        if (size == 1)
        {
            _buffer[at] = (byte)length;
            return;
        }

        _buffer[at] = (byte)(0x80 | (size - 1));
        for (var i = size - 1; i >= 1; i--)
        {
            _buffer[at + i] = (byte)length;
            length >>= 8;
        }
    }

    private void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[Length++] = value;
    }

    private void Ensure(int more)
    {
        if (Length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + more));
        }
    }
}
