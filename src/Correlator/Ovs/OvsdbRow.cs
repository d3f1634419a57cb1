using System.Text.Json;

namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// One row's columns, either a JSON object (RFC 7047 rows and monitor updates) or one row of ovs-vsctl's
/// <c>{"headings": [...], "data": [[...]]}</c> output read through its headings.
/// </summary>
public readonly struct OvsdbRow
{
    private readonly JsonElement _row;
    private readonly IReadOnlyList<string>? _headings;

    private OvsdbRow(JsonElement row, IReadOnlyList<string>? headings)
    {
        _row = row;
        _headings = headings;
    }

    public static OvsdbRow FromObject(JsonElement row) =>
        row.ValueKind == JsonValueKind.Object ? new OvsdbRow(row, null) : throw new OvsdbFormatException("a row is not a JSON object");

    public static OvsdbRow FromArray(JsonElement row, IReadOnlyList<string> headings) =>
        row.ValueKind == JsonValueKind.Array && row.GetArrayLength() == headings.Count
            ? new OvsdbRow(row, headings)
            : throw new OvsdbFormatException($"a row has {(row.ValueKind == JsonValueKind.Array ? row.GetArrayLength() : 0)} values for {headings.Count} headings");

    public bool TryGet(string column, out JsonElement value)
    {
        if (_headings is null)
        {
            return _row.TryGetProperty(column, out value);
        }

        for (var i = 0; i < _headings.Count; i++)
        {
            if (string.Equals(_headings[i], column, StringComparison.Ordinal))
            {
                value = _row[i];
                return true;
            }
        }

        value = default;
        return false;
    }

    public JsonElement Required(string table, string column) =>
        TryGet(column, out var value) ? value : throw new OvsdbFormatException($"{table}: a row has no column {column}");
}
