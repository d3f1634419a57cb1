using System.Text.Json;

namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// Typed readers for OVSDB's JSON encoding of values (RFC 7047 section 5.1): atoms are JSON scalars or
/// <c>["uuid", "..."]</c>; a set is <c>["set", [atoms]]</c> or, with exactly one element, the bare atom; a map is
/// <c>["map", [[key, value], ...]]</c>. An optional column ("min": 0) is an empty set when unset.
/// ovs-vsctl's <c>--format=json</c> uses the same encoding.
/// </summary>
public static class OvsdbDatum
{
    /// <summary>A string column, or null when it is an empty set.</summary>
    public static string? OptionalString(JsonElement value, string column)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        var single = SingleOrNone(value, column);
        return single is { } atom ? ExpectString(atom, column) : null;
    }

    /// <summary>An integer column, or null when it is an empty set.</summary>
    public static long? OptionalInteger(JsonElement value, string column)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return ExpectInteger(value, column);
        }

        var single = SingleOrNone(value, column);
        return single is { } atom ? ExpectInteger(atom, column) : null;
    }

    /// <summary>A set of UUIDs (also a bare <c>["uuid", ...]</c> for a one-element set).</summary>
    public static IReadOnlyList<string> UuidSet(JsonElement value, string column)
    {
        if (IsTagged(value, "uuid"))
        {
            return [Uuid(value, column)];
        }

        var elements = SetElements(value, column);
        var result = new string[elements.GetArrayLength()];
        var i = 0;
        foreach (var element in elements.EnumerateArray())
        {
            result[i++] = Uuid(element, column);
        }

        return result;
    }

    /// <summary>A <c>["uuid", "..."]</c> atom.</summary>
    public static string Uuid(JsonElement value, string column)
    {
        if (!IsTagged(value, "uuid") || value.GetArrayLength() != 2 || value[1].ValueKind != JsonValueKind.String)
        {
            throw new OvsdbFormatException($"column {column}: expected [\"uuid\", \"...\"], got {Describe(value)}");
        }

        return value[1].GetString()!;
    }

    /// <summary>A map of string to string (external_ids, status, other_config...).</summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonElement value, string column)
    {
        var pairs = MapPairs(value, column);
        var result = new Dictionary<string, string>(pairs.GetArrayLength(), StringComparer.Ordinal);
        foreach (var pair in pairs.EnumerateArray())
        {
            var (key, item) = Pair(pair, column);
            result[ExpectString(key, column)] = ExpectString(item, column);
        }

        return result;
    }

    /// <summary>A map of string to integer (statistics).</summary>
    public static IReadOnlyDictionary<string, long> IntegerMap(JsonElement value, string column)
    {
        var pairs = MapPairs(value, column);
        var result = new Dictionary<string, long>(pairs.GetArrayLength(), StringComparer.Ordinal);
        foreach (var pair in pairs.EnumerateArray())
        {
            var (key, item) = Pair(pair, column);
            result[ExpectString(key, column)] = ExpectInteger(item, column);
        }

        return result;
    }

    private static JsonElement? SingleOrNone(JsonElement value, string column)
    {
        if (!IsTagged(value, "set"))
        {
            throw new OvsdbFormatException($"column {column}: expected an atom or a set, got {Describe(value)}");
        }

        var elements = SetElements(value, column);
        return elements.GetArrayLength() switch
        {
            0 => null,
            1 => elements[0],
            _ => throw new OvsdbFormatException($"column {column}: expected at most one value, got {elements.GetArrayLength()}"),
        };
    }

    private static JsonElement SetElements(JsonElement value, string column)
    {
        if (!IsTagged(value, "set") || value.GetArrayLength() != 2 || value[1].ValueKind != JsonValueKind.Array)
        {
            throw new OvsdbFormatException($"column {column}: expected [\"set\", [...]], got {Describe(value)}");
        }

        return value[1];
    }

    private static JsonElement MapPairs(JsonElement value, string column)
    {
        if (!IsTagged(value, "map") || value.GetArrayLength() != 2 || value[1].ValueKind != JsonValueKind.Array)
        {
            throw new OvsdbFormatException($"column {column}: expected [\"map\", [...]], got {Describe(value)}");
        }

        return value[1];
    }

    private static (JsonElement Key, JsonElement Value) Pair(JsonElement pair, string column)
    {
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2)
        {
            throw new OvsdbFormatException($"column {column}: map entry is {Describe(pair)}, expected [key, value]");
        }

        return (pair[0], pair[1]);
    }

    private static bool IsTagged(JsonElement value, string tag) =>
        value.ValueKind == JsonValueKind.Array && value.GetArrayLength() >= 1 &&
        value[0].ValueKind == JsonValueKind.String && value[0].ValueEquals(tag);

    private static string ExpectString(JsonElement value, string column) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new OvsdbFormatException($"column {column}: expected a string, got {Describe(value)}");

    private static long ExpectInteger(JsonElement value, string column) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : throw new OvsdbFormatException($"column {column}: expected an integer, got {Describe(value)}");

    private static string Describe(JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.Undefined ? "nothing" : value.GetRawText();
        return text.Length > 60 ? text[..60] + "..." : text;
    }
}
