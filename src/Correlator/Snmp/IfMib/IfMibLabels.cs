namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>The label columns of one switch (ifName, ifAlias, ifDescr) by ifIndex, as last walked.</summary>
public sealed record IfMibLabels(IReadOnlyDictionary<uint, (string Name, string Alias, string Description)> ByIndex)
{
    public static IfMibLabels Empty { get; } = new(new Dictionary<uint, (string, string, string)>());

    /// <summary>Builds from the walks of <see cref="IfMibOids.LabelColumns"/> (in that order).</summary>
    public static IfMibLabels From(IReadOnlyList<VarBind>[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var names = IfMibTable.ByIndex(IfMibOids.IfName, columns[0]);
        var aliases = IfMibTable.ByIndex(IfMibOids.IfAlias, columns[1]);
        var descriptions = IfMibTable.ByIndex(IfMibOids.IfDescr, columns[2]);
        var result = new Dictionary<uint, (string, string, string)>();
        foreach (var index in names.Keys.Concat(descriptions.Keys).Distinct())
        {
            var description = descriptions.TryGetValue(index, out var d) ? d.AsText() : string.Empty;
            var name = names.TryGetValue(index, out var n) && n.AsText().Length > 0 ? n.AsText() : description;
            result[index] = (name, aliases.TryGetValue(index, out var a) ? a.AsText() : string.Empty, description);
        }

        return new IfMibLabels(result);
    }
}
