using System.Text.Json;

namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// Parses the output of one ovs-vsctl call that lists Bridge, Port and Interface in that order
/// (<c>--format=json --columns=... list Bridge -- --columns=... list Port -- --columns=... list Interface</c>):
/// three JSON objects, one per command.
/// </summary>
public static class OvsVsctlOutput
{
    public static readonly IReadOnlyList<string> Tables = ["Bridge", "Port", "Interface"];

    public static OvsSnapshot Parse(ReadOnlySpan<byte> output)
    {
        var database = new OvsDatabase();
        Load(database, output);
        return database.ToSnapshot();
    }

    public static void Load(OvsDatabase database, ReadOnlySpan<byte> output)
    {
        var framer = new JsonMessageFramer(Math.Max(output.Length, 2), Math.Max(output.Length, 16));
        framer.Append(output);
        var table = 0;
        while (framer.TryReadMessage(out var message))
        {
            if (table >= Tables.Count)
            {
                throw new OvsdbFormatException("ovs-vsctl printed more than the three listings asked for");
            }

            using var document = Parse(message);
            database.LoadVsctlTable(Tables[table++], document.RootElement);
        }

        if (framer.Pending > 0 && !IsWhitespace(output[^framer.Pending..]))
        {
            throw new OvsdbFormatException("ovs-vsctl output ends inside a JSON value (truncated?)");
        }

        if (table != Tables.Count)
        {
            throw new OvsdbFormatException($"ovs-vsctl printed {table} listings, expected {Tables.Count}");
        }
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> message)
    {
        try
        {
            return JsonDocument.Parse(message);
        }
        catch (JsonException ex)
        {
            throw new OvsdbFormatException("ovs-vsctl output is not valid JSON: " + ex.Message, ex);
        }
    }

    private static bool IsWhitespace(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }
}
