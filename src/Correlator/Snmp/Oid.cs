using System.Globalization;
using System.Text;

namespace FlowExporter.Correlator.Snmp;

/// <summary>An object identifier: an immutable sequence of sub-identifiers, ordered lexicographically as SNMP orders them.</summary>
public sealed class Oid : IEquatable<Oid>, IComparable<Oid>
{
    /// <summary>RFC 2578: at most 128 sub-identifiers.</summary>
    public const int MaxLength = 128;

    private readonly uint[] _parts;

    public Oid(ReadOnlySpan<uint> parts)
    {
        if (parts.Length > MaxLength)
        {
            throw new ArgumentException("an OID has at most 128 sub-identifiers", nameof(parts));
        }

        _parts = parts.ToArray();
    }

    private Oid(uint[] parts, bool _) => _parts = parts;

    public ReadOnlySpan<uint> Parts => _parts;

    public int Length => _parts.Length;

    public uint this[int index] => _parts[index];

    /// <summary>Parses dotted notation (<c>1.3.6.1</c> or <c>.1.3.6.1</c>).</summary>
    public static Oid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.AsSpan().Trim();
        if (trimmed.StartsWith("."))
        {
            trimmed = trimmed[1..];
        }

        var parts = new List<uint>();
        foreach (var range in trimmed.Split('.'))
        {
            parts.Add(uint.Parse(trimmed[range], NumberStyles.None, CultureInfo.InvariantCulture));
        }

        return new Oid(parts.ToArray(), true);
    }

    internal static Oid Wrap(uint[] parts) => new(parts, true);

    /// <summary>This OID followed by more sub-identifiers.</summary>
    public Oid Append(params ReadOnlySpan<uint> more)
    {
        var parts = new uint[_parts.Length + more.Length];
        _parts.CopyTo(parts, 0);
        more.CopyTo(parts.AsSpan(_parts.Length));
        return new Oid(parts, true);
    }

    /// <summary>True when <paramref name="other"/> lies strictly inside the subtree rooted at this OID.</summary>
    public bool IsAncestorOf(Oid other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other._parts.Length > _parts.Length && other._parts.AsSpan(0, _parts.Length).SequenceEqual(_parts);
    }

    /// <summary>The sub-identifiers after this OID's prefix <paramref name="prefix"/>.</summary>
    public ReadOnlySpan<uint> After(Oid prefix) => _parts.AsSpan(prefix.Length);

    public int CompareTo(Oid? other) => other is null ? 1 : _parts.AsSpan().SequenceCompareTo(other._parts);

    public bool Equals(Oid? other) => other is not null && _parts.AsSpan().SequenceEqual(other._parts);

    public override bool Equals(object? obj) => obj is Oid other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var part in _parts)
        {
            hash.Add(part);
        }

        return hash.ToHashCode();
    }

    public override string ToString()
    {
        var builder = new StringBuilder(_parts.Length * 3);
        for (var i = 0; i < _parts.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('.');
            }

            builder.Append(_parts[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    public static bool operator ==(Oid? left, Oid? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Oid? left, Oid? right) => !(left == right);

    public static bool operator <(Oid left, Oid right) => left is null ? right is not null : left.CompareTo(right) < 0;

    public static bool operator >(Oid left, Oid right) => left is not null && left.CompareTo(right) > 0;

    public static bool operator <=(Oid left, Oid right) => !(left > right);

    public static bool operator >=(Oid left, Oid right) => !(left < right);
}
