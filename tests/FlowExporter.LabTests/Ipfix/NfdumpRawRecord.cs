using System.Globalization;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// One flow as <c>nfdump -o raw</c> prints it (nfdump 1.7): the biflow's source (our initiator) and destination,
/// packets and IP octets both ways (in = source to destination), first and last time (ms since the epoch) and the
/// flow end reason (IE 136) as the number nfdump decoded. Ports are 0 where nfdump prints none (ICMP).
/// </summary>
internal sealed record NfdumpRawRecord(
    string Source, string Destination, int SourcePort, int DestinationPort, int Protocol,
    long InPackets, long InBytes, long OutPackets, long OutBytes, long FirstMilliseconds, long LastMilliseconds, int EndReason)
{
    public static IReadOnlyList<NfdumpRawRecord> Parse(string raw)
    {
        var records = new List<NfdumpRawRecord>();
        Dictionary<string, string>? fields = null;
        foreach (var line in raw.Split('\n'))
        {
            if (line.StartsWith("Flow Record:", StringComparison.Ordinal))
            {
                Add(records, fields);
                fields = [];
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (fields is null || equals < 0 || !line.StartsWith("  ", StringComparison.Ordinal))
            {
                continue;
            }

            fields[line[..equals].Trim()] = line[(equals + 1)..].Trim();
        }

        Add(records, fields);
        return records;
    }

    private static void Add(List<NfdumpRawRecord> records, Dictionary<string, string>? f)
    {
        if (f is null)
        {
            return;
        }

        records.Add(new NfdumpRawRecord(
            f["src addr"], f["dst addr"], (int)Number(f.GetValueOrDefault("src port", "0")), (int)Number(f.GetValueOrDefault("dst port", "0")), (int)Number(f["proto"]),
            Number(f["in packets"]), Number(f["in bytes"]), Number(f["out packets"]), Number(f["out bytes"]),
            Number(f["first"]), Number(f["last"]), (int)Number(f.GetValueOrDefault("end reason", "0"))));
    }

    /// <summary>The value's first word: decimal, or hex with 0x ("0x04 forced end", "6 TCP", "1513204139656 [2017-...]").</summary>
    private static long Number(string value)
    {
        var word = value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return word.StartsWith("0x", StringComparison.Ordinal)
            ? long.Parse(word[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(word, CultureInfo.InvariantCulture);
    }
}
