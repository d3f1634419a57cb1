using System.Globalization;
using System.Text;

namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// One decoded SNMP value. Numbers are held in <see cref="Number"/> (signed INTEGER as its two's-complement bits,
/// unsigned types as themselves), strings and addresses in <see cref="Bytes"/>, OIDs in <see cref="ObjectId"/>.
/// </summary>
public readonly record struct SnmpValue(SnmpType Type, ulong Number, byte[]? Bytes, Oid? ObjectId)
{
    public static SnmpValue Null => new(SnmpType.Null, 0, null, null);

    public static SnmpValue Integer(int value) => new(SnmpType.Integer, unchecked((ulong)(long)value), null, null);

    public static SnmpValue Unsigned(SnmpType type, ulong value) => new(type, value, null, null);

    public static SnmpValue OctetString(byte[] value) => new(SnmpType.OctetString, 0, value, null);

    public static SnmpValue OctetString(string value) => OctetString(Encoding.UTF8.GetBytes(value));

    public static SnmpValue Identifier(Oid value) => new(SnmpType.ObjectIdentifier, 0, null, value);

    public static SnmpValue IpAddress(byte[] value) => new(SnmpType.IpAddress, 0, value, null);

    public static SnmpValue Exception(SnmpType type) => new(type, 0, null, null);

    /// <summary>INTEGER as a signed number.</summary>
    public long AsInt64 => unchecked((long)Number);

    /// <summary>True for noSuchObject, noSuchInstance and endOfMibView.</summary>
    public bool IsException => Type is SnmpType.NoSuchObject or SnmpType.NoSuchInstance or SnmpType.EndOfMibView;

    /// <summary>True for the types that carry a number (INTEGER, counters, gauges, time ticks).</summary>
    public bool IsNumeric => Type is SnmpType.Integer or SnmpType.Counter32 or SnmpType.Gauge32 or SnmpType.TimeTicks or SnmpType.Counter64;

    /// <summary>An OCTET STRING as text: UTF-8 when valid (trailing NULs dropped), otherwise Latin-1 so nothing is lost.</summary>
    public string AsText()
    {
        if (Bytes is null)
        {
            return string.Empty;
        }

        var span = Bytes.AsSpan().TrimEnd((byte)0);
        return System.Text.Unicode.Utf8.IsValid(span) ? Encoding.UTF8.GetString(span) : Encoding.Latin1.GetString(span);
    }

    public bool Equals(SnmpValue other) =>
        Type == other.Type && Number == other.Number && Equals(ObjectId, other.ObjectId)
        && (Bytes ?? []).AsSpan().SequenceEqual(other.Bytes ?? []);

    public override int GetHashCode() => HashCode.Combine(Type, Number, ObjectId, Bytes?.Length ?? 0);

    public override string ToString() => Type switch
    {
        SnmpType.Integer => AsInt64.ToString(CultureInfo.InvariantCulture),
        SnmpType.OctetString => AsText(),
        SnmpType.ObjectIdentifier => ObjectId?.ToString() ?? string.Empty,
        SnmpType.IpAddress => Bytes is { Length: 4 } b ? $"{b[0]}.{b[1]}.{b[2]}.{b[3]}" : Convert.ToHexString(Bytes ?? []),
        SnmpType.Null => "NULL",
        SnmpType.Opaque => Convert.ToHexString(Bytes ?? []),
        SnmpType.NoSuchObject => "noSuchObject",
        SnmpType.NoSuchInstance => "noSuchInstance",
        SnmpType.EndOfMibView => "endOfMibView",
        _ => Number.ToString(CultureInfo.InvariantCulture),
    };
}
