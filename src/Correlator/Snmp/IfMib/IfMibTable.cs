namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>Assembles walked IF-MIB columns into ports.</summary>
public static class IfMibTable
{
    /// <summary>The values of one column keyed by ifIndex (rows whose index is not a single sub-identifier are skipped).</summary>
    public static Dictionary<uint, SnmpValue> ByIndex(Oid column, IReadOnlyList<VarBind> bindings)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(bindings);
        var result = new Dictionary<uint, SnmpValue>(bindings.Count);
        foreach (var binding in bindings)
        {
            if (binding.Oid.Length == column.Length + 1 && column.IsAncestorOf(binding.Oid))
            {
                result[binding.Oid[column.Length]] = binding.Value;
            }
        }

        return result;
    }

    /// <summary>
    /// Builds the ports from the label columns and the counter walks: <paramref name="counters"/> are the walks of
    /// <see cref="IfMibOids.CounterColumns"/>, <paramref name="fallback"/> those of <see cref="IfMibOids.Fallback32BitColumns"/>
    /// (or null when ifXTable had counters). Rows are the union of the indexes seen; the filter sees the port's name.
    /// </summary>
    public static SwitchSnapshot Build(
        string switchName, IfMibLabels labels, IReadOnlyList<VarBind>[] counters, IReadOnlyList<VarBind>[]? fallback, Func<string, bool> include)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(include);
        var columns = new Dictionary<uint, SnmpValue>[counters.Length];
        for (var i = 0; i < counters.Length; i++)
        {
            columns[i] = ByIndex(IfMibOids.CounterColumns[i], counters[i]);
        }

        var legacy = fallback is null ? null : new Dictionary<uint, SnmpValue>[fallback.Length];
        if (fallback is not null)
        {
            for (var i = 0; i < fallback.Length; i++)
            {
                legacy![i] = ByIndex(IfMibOids.Fallback32BitColumns[i], fallback[i]);
            }
        }

        var indexes = new SortedSet<uint>(labels.ByIndex.Keys);
        foreach (var column in columns)
        {
            indexes.UnionWith(column.Keys);
        }

        if (legacy is not null)
        {
            foreach (var column in legacy)
            {
                indexes.UnionWith(column.Keys);
            }
        }

        var ports = new List<SwitchPort>(indexes.Count);
        foreach (var index in indexes)
        {
            var (name, alias, description) = labels.ByIndex.TryGetValue(index, out var l) ? l : (string.Empty, string.Empty, string.Empty);
            if (name.Length == 0)
            {
                name = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (!include(name))
            {
                continue;
            }

            ulong? C(int column) => Counter(columns[column], index);
            ulong? L(int column) => legacy is null ? null : Counter(legacy[column], index);
            var highSpeed = C(8);
            ports.Add(new SwitchPort(index, name, alias, description)
            {
                ReceiveBytes = legacy is null ? C(0) : L(0),
                ReceiveUnicastPackets = legacy is null ? C(1) : L(1),
                ReceiveMulticastPackets = legacy is null ? C(2) : null,
                ReceiveBroadcastPackets = legacy is null ? C(3) : null,
                TransmitBytes = legacy is null ? C(4) : L(2),
                TransmitUnicastPackets = legacy is null ? C(5) : L(3),
                TransmitMulticastPackets = legacy is null ? C(6) : null,
                TransmitBroadcastPackets = legacy is null ? C(7) : null,
                SpeedBitsPerSecond = highSpeed is { } mbit && (mbit > 0 || legacy is null) ? mbit * 1_000_000 : L(4),
                OperStatus = Integer(columns[9], index),
                AdminStatus = Integer(columns[10], index),
                ReceiveErrors = C(11),
                ReceiveDiscards = C(12),
                TransmitErrors = C(13),
                TransmitDiscards = C(14),
            });
        }

        return new SwitchSnapshot(switchName, ports, legacy is not null);
    }

    private static ulong? Counter(Dictionary<uint, SnmpValue> column, uint index) =>
        column.TryGetValue(index, out var value) && value.Type is SnmpType.Counter32 or SnmpType.Counter64 or SnmpType.Gauge32 ? value.Number : null;

    private static long? Integer(Dictionary<uint, SnmpValue> column, uint index) =>
        column.TryGetValue(index, out var value) && value.Type == SnmpType.Integer ? value.AsInt64 : null;
}
