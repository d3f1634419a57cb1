
namespace FlowExporter.Correlator.Ovs;

/// <summary>Reads typed Bridge, Port and Interface rows from OVSDB rows; missing optional columns read as empty.</summary>
public static class OvsRowReader
{
    private static readonly IReadOnlyDictionary<string, string> NoIds = new Dictionary<string, string>();

    public static OvsBridgeRow Bridge(string uuid, OvsdbRow row) =>
        new(uuid, Name("Bridge", row), UuidSet(row, "ports"));

    public static OvsPortRow Port(string uuid, OvsdbRow row) =>
        new(uuid, Name("Port", row), UuidSet(row, "interfaces"));

    public static OvsInterfaceRow Interface(string uuid, OvsdbRow row)
    {
        var name = Name("Interface", row);
        return new OvsInterfaceRow(
            uuid,
            name,
            row.TryGet("type", out var type) ? OvsdbDatum.OptionalString(type, "type") ?? string.Empty : string.Empty,
            row.TryGet("ofport", out var ofport) ? OvsdbDatum.OptionalInteger(ofport, "ofport") : null,
            OptionalString(row, "admin_state"),
            OptionalString(row, "link_state"),
            OptionalString(row, "mac_in_use"),
            OptionalString(row, "error"),
            row.TryGet("external_ids", out var ids) ? OvsdbDatum.StringMap(ids, "external_ids") : NoIds,
            row.TryGet("statistics", out var stats) ? OvsInterfaceCounters.From(OvsdbDatum.IntegerMap(stats, "statistics")) : default);
    }

    private static string Name(string table, OvsdbRow row) =>
        OvsdbDatum.OptionalString(row.Required(table, "name"), "name") ?? throw new OvsdbFormatException($"{table}: a row has no name");

    private static string? OptionalString(OvsdbRow row, string column) =>
        row.TryGet(column, out var value) ? OvsdbDatum.OptionalString(value, column) : null;

    private static IReadOnlyList<string> UuidSet(OvsdbRow row, string column) =>
        row.TryGet(column, out var value) ? OvsdbDatum.UuidSet(value, column) : [];

    /// <summary>The row's own UUID from its <c>_uuid</c> column (ovs-vsctl output and select results).</summary>
    public static string OwnUuid(string table, OvsdbRow row) => OvsdbDatum.Uuid(row.Required(table, "_uuid"), "_uuid");
}
