using System.Globalization;
using System.Text;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.LabTests.Snmp;

/// <summary>Parses <c>snmpbulkwalk -On -Oe</c> output (numeric OIDs, enums as numbers) into OIDs and typed values.</summary>
internal static class NetSnmpOutput
{
    public static List<VarBind> Parse(string output)
    {
        var result = new List<VarBind>();
        VarBind? pending = null;
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith('.'))
            {
                // A STRING value that contains a newline continues on the next line.
                if (pending is { } p && p.Value.Type == SnmpType.OctetString && line.Length > 0)
                {
                    throw new FormatException($"multi-line value after {p.Oid}");
                }

                continue;
            }

            var at = line.IndexOf(" = ", StringComparison.Ordinal);
            var oid = Oid.Parse(line[..at]);
            var rest = line[(at + 3)..];
            var colon = rest.IndexOf(": ", StringComparison.Ordinal);
            var type = colon > 0 ? rest[..colon] : rest.TrimEnd(':');
            var text = colon > 0 ? rest[(colon + 2)..] : string.Empty;
            var value = type switch
            {
                "STRING" => SnmpValue.OctetString(Unquote(text)),
                "Hex-STRING" => SnmpValue.OctetString(Convert.FromHexString(text.Replace(" ", string.Empty, StringComparison.Ordinal))),
                "\"\"" => SnmpValue.OctetString([]),
                "INTEGER" => SnmpValue.Integer(int.Parse(text, CultureInfo.InvariantCulture)),
                "OID" => SnmpValue.Identifier(Oid.Parse(text)),
                "Counter32" => SnmpValue.Unsigned(SnmpType.Counter32, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "Counter64" => SnmpValue.Unsigned(SnmpType.Counter64, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "Gauge32" => SnmpValue.Unsigned(SnmpType.Gauge32, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "Timeticks" => SnmpValue.Unsigned(SnmpType.TimeTicks, ulong.Parse(text.TrimStart('(').Split(')')[0], CultureInfo.InvariantCulture)),
                "IpAddress" => SnmpValue.IpAddress(text.Split('.').Select(b => byte.Parse(b, CultureInfo.InvariantCulture)).ToArray()),
                _ => throw new FormatException($"unexpected net-snmp type '{type}' in: {line}"),
            };
            pending = new VarBind(oid, value);
            result.Add(pending.Value);
        }

        return result;
    }

    private static byte[] Unquote(string text)
    {
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }
}
