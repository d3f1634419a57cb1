using System.Buffers.Binary;
using System.Net;

namespace FlowExporter.Correlator.Net;

/// <summary>
/// An IPv4 or IPv6 address as a 16-byte value: two 64-bit halves in network order, IPv4 held as its IPv4-mapped IPv6
/// form (::ffff:a.b.c.d), which is how it is told apart and printed (so an IPv4-mapped IPv6 address on the wire is
/// treated as the IPv4 address it maps). Cheap to hash and compare on the hot path, and formats itself (RFC 5952 for
/// IPv6) into UTF-8 without allocating.
/// </summary>
public readonly record struct IpAddress : IUtf8SpanFormattable, ISpanFormattable
{
    private const ulong V4Prefix = 0xFFFF_0000_0000UL;

    private readonly ulong _high;
    private readonly ulong _low;

    private IpAddress(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    public bool IsV6 => _high != 0 || (_low >> 32) != 0xFFFF;

    /// <summary>The first 64 bits in network order (0 for IPv4).</summary>
    internal ulong High => _high;

    /// <summary>The last 64 bits in network order.</summary>
    internal ulong Low => _low;

    public bool Equals(IpAddress other) => _low == other._low && _high == other._high;

    public override int GetHashCode()
    {
        var h = (_high * 0x9E3779B97F4A7C15UL) ^ _low;
        return (int)(h ^ (h >> 32));
    }

    public bool IsV4 => !IsV6;

    /// <summary>An IPv4 address from its 4 bytes in network order.</summary>
    public static IpAddress FromV4(ReadOnlySpan<byte> bytes) => FromV4(BinaryPrimitives.ReadUInt32BigEndian(bytes));

    /// <summary>An IPv4 address from its 32-bit value (host order, as read big-endian from the wire).</summary>
    public static IpAddress FromV4(uint value) => new(0, V4Prefix | value);

    /// <summary>An IPv6 address from its 16 bytes in network order.</summary>
    public static IpAddress FromV6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    public static IpAddress FromIPAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? FromV4(bytes[..written]) : FromV6(bytes[..written]);
    }

    public static IpAddress Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    public static bool TryParse(string? text, out IpAddress address)
    {
        if (IPAddress.TryParse(text, out var parsed))
        {
            address = FromIPAddress(parsed);
            return true;
        }

        address = default;
        return false;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        var length = WriteBytes(bytes);
        return new IPAddress(bytes[..length]);
    }

    /// <summary>Writes the address's bytes in network order; returns 4 or 16.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
            return 16;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        return 4;
    }

    /// <summary>Orders addresses numerically (IPv4, as ::ffff:0:0/96, sorts among IPv6); used to put a pair in canonical order.</summary>
    public int CompareTo(IpAddress other)
    {
        var c = _high.CompareTo(other._high);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public override string ToString()
    {
        Span<char> chars = stackalloc char[48];
        TryFormat(chars, out var written, default, null);
        return new string(chars[..written]);
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        Span<byte> utf8 = stackalloc byte[48];
        if (!TryFormat(utf8, out var written, format, provider) || written > destination.Length)
        {
            charsWritten = 0;
            return false;
        }

        for (var i = 0; i < written; i++)
        {
            destination[i] = (char)utf8[i];
        }

        charsWritten = written;
        return true;
    }

    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        IsV6 ? TryFormatV6(utf8Destination, out bytesWritten) : TryFormatV4(utf8Destination, out bytesWritten);

    private bool TryFormatV4(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < 15)
        {
            return false;
        }

        var value = (uint)_low;
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            var octet = (value >> shift) & 0xFF;
            if (octet >= 100)
            {
                destination[written++] = (byte)('0' + (octet / 100));
            }

            if (octet >= 10)
            {
                destination[written++] = (byte)('0' + (octet / 10 % 10));
            }

            destination[written++] = (byte)('0' + (octet % 10));
            if (shift > 0)
            {
                destination[written++] = (byte)'.';
            }
        }

        return true;
    }

    private bool TryFormatV6(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < 45)
        {
            return false;
        }

        Span<ushort> words = stackalloc ushort[8];
        for (var i = 0; i < 4; i++)
        {
            words[i] = (ushort)(_high >> (48 - (16 * i)));
            words[i + 4] = (ushort)(_low >> (48 - (16 * i)));
        }

        // The longest run of two or more zero words is shortened to "::" (the first such run on a tie).
        int bestStart = -1, bestLength = 1;
        for (var i = 0; i < 8;)
        {
            if (words[i] != 0)
            {
                i++;
                continue;
            }

            var start = i;
            while (i < 8 && words[i] == 0)
            {
                i++;
            }

            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }

        for (var i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                destination[written++] = (byte)':';
                destination[written++] = (byte)':';
                i += bestLength - 1;
                continue;
            }

            if (i > 0 && i != bestStart + bestLength)
            {
                destination[written++] = (byte)':';
            }

            written += WriteHex(words[i], destination[written..]);
        }

        return true;
    }

    private static int WriteHex(ushort value, Span<byte> destination)
    {
        var count = 0;
        var started = false;
        for (var shift = 12; shift >= 0; shift -= 4)
        {
            var nibble = (value >> shift) & 0xF;
            if (nibble == 0 && !started && shift > 0)
            {
                continue;
            }

            started = true;
            destination[count++] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
        }

        return count;
    }
}
