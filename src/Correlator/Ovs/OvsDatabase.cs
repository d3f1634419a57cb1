using System.Text.Json;

namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// The in-memory copy of the Bridge, Port and Interface tables (the monitored columns only), keyed by row UUID.
/// Filled from ovs-vsctl output (<see cref="LoadVsctlTable"/>) or from RFC 7047 monitor replies and <c>update</c>
/// notifications (<see cref="ApplyTableUpdates"/>); <see cref="ToSnapshot"/> joins the tables. Not thread-safe: one
/// owner applies updates and publishes snapshots.
/// </summary>
public sealed class OvsDatabase
{
    private readonly Dictionary<string, OvsBridgeRow> _bridges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OvsPortRow> _ports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OvsInterfaceRow> _interfaces = new(StringComparer.Ordinal);

    public int BridgeCount => _bridges.Count;

    public int PortCount => _ports.Count;

    public int InterfaceCount => _interfaces.Count;

    public void Clear()
    {
        _bridges.Clear();
        _ports.Clear();
        _interfaces.Clear();
    }

    /// <summary>
    /// Applies a <c>table-updates</c> object (the result of <c>monitor</c>, or the second parameter of <c>update</c>):
    /// <c>{table: {uuid: {"old": row, "new": row}}}</c>. With <c>monitor</c> (version 1) "new" carries every monitored
    /// column, so a row is replaced whole; no "new" means the row was deleted. Unknown tables are ignored. The update is
    /// validated before anything changes, so a malformed one leaves the model as it was.
    /// </summary>
    public void ApplyTableUpdates(JsonElement tableUpdates) => Guarded(() => ApplyTableUpdatesCore(tableUpdates));

    private void ApplyTableUpdatesCore(JsonElement tableUpdates)
    {
        if (tableUpdates.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbFormatException("table-updates is not a JSON object");
        }

        var bridges = new List<(string, OvsBridgeRow?)>();
        var ports = new List<(string, OvsPortRow?)>();
        var interfaces = new List<(string, OvsInterfaceRow?)>();
        foreach (var table in tableUpdates.EnumerateObject())
        {
            if (table.Value.ValueKind != JsonValueKind.Object)
            {
                throw new OvsdbFormatException($"table-updates: {table.Name} is not a JSON object");
            }

            foreach (var row in table.Value.EnumerateObject())
            {
                if (row.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new OvsdbFormatException($"table-updates: {table.Name} row {row.Name} is not a JSON object");
                }

                var isNew = row.Value.TryGetProperty("new", out var newRow);
                var values = isNew ? OvsdbRow.FromObject(newRow) : default;
                switch (table.Name)
                {
                    case "Bridge":
                        bridges.Add((row.Name, isNew ? OvsRowReader.Bridge(row.Name, values) : null));
                        break;
                    case "Port":
                        ports.Add((row.Name, isNew ? OvsRowReader.Port(row.Name, values) : null));
                        break;
                    case "Interface":
                        interfaces.Add((row.Name, isNew ? OvsRowReader.Interface(row.Name, values) : null));
                        break;
                }
            }
        }

        Apply(_bridges, bridges);
        Apply(_ports, ports);
        Apply(_interfaces, interfaces);
    }

    /// <summary>
    /// Replaces one table from ovs-vsctl's <c>--format=json list TABLE</c> output (<c>{"headings": [...], "data": [...]}</c>),
    /// whose headings must include <c>_uuid</c>.
    /// </summary>
    public void LoadVsctlTable(string table, JsonElement listing) => Guarded(() => LoadVsctlTableCore(table, listing));

    private void LoadVsctlTableCore(string table, JsonElement listing)
    {
        if (listing.ValueKind != JsonValueKind.Object ||
            !listing.TryGetProperty("headings", out var headingsElement) || headingsElement.ValueKind != JsonValueKind.Array ||
            !listing.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new OvsdbFormatException($"{table}: ovs-vsctl output is not {{\"headings\": [...], \"data\": [...]}}");
        }

        var headings = new List<string>(headingsElement.GetArrayLength());
        foreach (var heading in headingsElement.EnumerateArray())
        {
            headings.Add(heading.ValueKind == JsonValueKind.String ? heading.GetString()! : throw new OvsdbFormatException($"{table}: a heading is not a string"));
        }

        switch (table)
        {
            case "Bridge":
                Replace(_bridges, data, headings, table, OvsRowReader.Bridge);
                break;
            case "Port":
                Replace(_ports, data, headings, table, OvsRowReader.Port);
                break;
            case "Interface":
                Replace(_interfaces, data, headings, table, OvsRowReader.Interface);
                break;
            default:
                throw new ArgumentException($"table {table} is not read", nameof(table));
        }
    }

    /// <summary>Joins Bridge.ports and Port.interfaces; rows referenced but not (yet) known are skipped.</summary>
    public OvsSnapshot ToSnapshot()
    {
        var samples = new List<OvsInterfaceSample>(_interfaces.Count);
        foreach (var bridge in _bridges.Values)
        {
            foreach (var portUuid in bridge.PortUuids)
            {
                if (!_ports.TryGetValue(portUuid, out var port))
                {
                    continue;
                }

                foreach (var interfaceUuid in port.InterfaceUuids)
                {
                    if (_interfaces.TryGetValue(interfaceUuid, out var row))
                    {
                        samples.Add(new OvsInterfaceSample(bridge.Name, port.Name, row, OvsEndpointMapper.Map(row.ExternalIds)));
                    }
                }
            }
        }

        samples.Sort(static (a, b) =>
        {
            var byBridge = string.CompareOrdinal(a.Bridge, b.Bridge);
            return byBridge != 0 ? byBridge : string.CompareOrdinal(a.Interface.Name, b.Interface.Name);
        });
        return new OvsSnapshot(samples);
    }

    /// <summary>JSON strings are decoded lazily: invalid UTF-8 inside one surfaces here and is bad input like any other.</summary>
    private static void Guarded(Action parse)
    {
        try
        {
            parse();
        }
        catch (InvalidOperationException ex)
        {
            throw new OvsdbFormatException("OVSDB data is not valid: " + ex.Message, ex);
        }
    }

    private static void Apply<TRow>(Dictionary<string, TRow> table, List<(string Uuid, TRow? Row)> changes)
        where TRow : class
    {
        foreach (var (uuid, row) in changes)
        {
            if (row is null)
            {
                table.Remove(uuid);
            }
            else
            {
                table[uuid] = row;
            }
        }
    }

    private static void Replace<TRow>(
        Dictionary<string, TRow> table, JsonElement data, List<string> headings, string tableName, Func<string, OvsdbRow, TRow> read)
    {
        var rows = new List<(string, TRow)>(data.GetArrayLength());
        foreach (var element in data.EnumerateArray())
        {
            var row = OvsdbRow.FromArray(element, headings);
            var uuid = OvsRowReader.OwnUuid(tableName, row);
            rows.Add((uuid, read(uuid, row)));
        }

        table.Clear();
        foreach (var (uuid, row) in rows)
        {
            table[uuid] = row;
        }
    }
}
