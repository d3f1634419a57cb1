using System.Globalization;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Correlator.Tests.Snmp;

/// <summary>Reads agent recordings: snmpsim's <c>.snmprec</c> (<c>OID|TAG|VALUE</c>, TAG with <c>x</c> = hex value) and net-snmp <c>snmpwalk -On</c> output.</summary>
internal static class Recordings
{
    public static SortedDictionary<Oid, SnmpValue> Load(string fixture)
    {
        var path = SnmpFixtures.PathOf(fixture);
        return fixture.EndsWith(".snmprec", StringComparison.Ordinal) ? ParseSnmprec(File.ReadAllLines(path)) : ParseSnmpwalk(File.ReadAllLines(path));
    }

    public static SortedDictionary<Oid, SnmpValue> ParseSnmprec(IEnumerable<string> lines)
    {
        var result = new SortedDictionary<Oid, SnmpValue>();
        foreach (var line in lines.Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var parts = line.Split('|', 3);
            var hex = parts[1].EndsWith('x');
            var tag = int.Parse(parts[1].TrimEnd('x'), CultureInfo.InvariantCulture);
            var text = parts[2];
            var bytes = hex ? Convert.FromHexString(text) : System.Text.Encoding.UTF8.GetBytes(text);
            result[Oid.Parse(parts[0])] = (SnmpType)tag switch
            {
                SnmpType.Integer => SnmpValue.Integer(int.Parse(text, CultureInfo.InvariantCulture)),
                SnmpType.OctetString => SnmpValue.OctetString(bytes),
                SnmpType.ObjectIdentifier => SnmpValue.Identifier(Oid.Parse(text)),
                SnmpType.IpAddress => SnmpValue.IpAddress(hex ? bytes : text.Split('.').Select(byte.Parse).ToArray()),
                SnmpType.Null => SnmpValue.Null,
                var type => SnmpValue.Unsigned(type, ulong.Parse(text, CultureInfo.InvariantCulture)),
            };
        }

        return result;
    }

    public static SortedDictionary<Oid, SnmpValue> ParseSnmpwalk(IEnumerable<string> lines)
    {
        var result = new SortedDictionary<Oid, SnmpValue>();
        foreach (var line in lines.Where(l => l.StartsWith('.')))
        {
            var at = line.IndexOf(" = ", StringComparison.Ordinal);
            var oid = Oid.Parse(line[..at]);
            var rest = line[(at + 3)..];
            var colon = rest.IndexOf(": ", StringComparison.Ordinal);
            var type = colon > 0 && !rest[..colon].Contains(' ') ? rest[..colon] : rest.EndsWith(':') ? rest[..^1] : null;
            var text = type is null ? rest : colon > 0 ? rest[(colon + 2)..] : string.Empty;
            result[oid] = type switch
            {
                null => SnmpValue.Unsigned(SnmpType.TimeTicks, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "STRING" => SnmpValue.OctetString(text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text),
                "Hex-STRING" => SnmpValue.OctetString(Convert.FromHexString(text.Replace(" ", string.Empty, StringComparison.Ordinal))),
                "INTEGER" => SnmpValue.Integer(int.Parse(new string(text.Where(c => char.IsDigit(c) || c == '-').ToArray()), CultureInfo.InvariantCulture)),
                "OID" => SnmpValue.Identifier(Oid.Parse(text)),
                "Counter32" => SnmpValue.Unsigned(SnmpType.Counter32, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "Counter64" => SnmpValue.Unsigned(SnmpType.Counter64, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "Gauge32" => SnmpValue.Unsigned(SnmpType.Gauge32, ulong.Parse(text, CultureInfo.InvariantCulture)),
                "Timeticks" => SnmpValue.Unsigned(SnmpType.TimeTicks, ulong.Parse(text.Trim('(').Split(')')[0], CultureInfo.InvariantCulture)),
                "IpAddress" => SnmpValue.IpAddress(text.Split('.').Select(byte.Parse).ToArray()),
                _ => throw new FormatException($"unknown snmpwalk type {type}"),
            };
        }

        return result;
    }
}
