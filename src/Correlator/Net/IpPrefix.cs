using System.Globalization;

namespace FlowExporter.Correlator.Net;

/// <summary>An IPv4 or IPv6 network in CIDR notation (<c>10.244.0.0/16</c>, <c>fd00::/64</c>); host bits are cleared.</summary>
public readonly record struct IpPrefix
{
    private IpPrefix(IpAddress network, int length)
    {
        Network = network;
        Length = length;
    }

    public IpAddress Network { get; }

    public int Length { get; }

    public int MaxLength => Network.IsV6 ? 128 : 32;

    public static IpPrefix Create(IpAddress address, int length)
    {
        var max = address.IsV6 ? 128 : 32;
        if (length < 0 || length > max)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"prefix length must be between 0 and {max}");
        }

        return new IpPrefix(Mask(address, length), length);
    }

    /// <summary>Parses <c>ADDRESS/LENGTH</c>; a bare address is a host prefix (/32 or /128).</summary>
    public static bool TryParse(string? text, out IpPrefix prefix)
    {
        prefix = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText.Trim(), out var address))
        {
            return false;
        }

        var max = address.IsV6 ? 128 : 32;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            return false;
        }

        prefix = new IpPrefix(Mask(address, length), length);
        return true;
    }

    /// <summary>
    /// Parses an address strictly: IPv4 only in full dotted-quad form (the runtime also takes "10.1" or "167772161",
    /// which in a hand-written file are more likely typos than intent).
    /// </summary>
    public static bool TryParseAddress(string? text, out IpAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (!text.Contains(':', StringComparison.Ordinal) && text.Count(c => c == '.') != 3)
        {
            return false;
        }

        return IpAddress.TryParse(text, out address);
    }

    public bool Contains(IpAddress address) => address.IsV6 == Network.IsV6 && Mask(address, Length) == Network;

    /// <summary>The address with every bit after the first <paramref name="length"/> cleared.</summary>
    public static IpAddress Mask(IpAddress address, int length)
    {
        Span<byte> bytes = stackalloc byte[16];
        var size = address.WriteBytes(bytes);
        for (var i = 0; i < size; i++)
        {
            var bitsHere = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bitsHere));
        }

        return size == 16 ? IpAddress.FromV6(bytes) : IpAddress.FromV4(bytes[..4]);
    }

    public override string ToString() => $"{Network}/{Length}";
}
