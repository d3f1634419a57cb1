namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>The port map, looked up by switch and ifName (the first entry wins when several VLANs name the same port).</summary>
public sealed class PortMap
{
    private readonly Dictionary<(string Switch, string IfName), PortMapEntry> _byPort = new();

    public PortMap(IReadOnlyList<PortMapEntry> entries)
    {
        Entries = entries ?? [];
        foreach (var entry in Entries)
        {
            _byPort.TryAdd((entry.Switch, entry.IfName), entry);
        }
    }

    public static PortMap Empty { get; } = new([]);

    public IReadOnlyList<PortMapEntry> Entries { get; }

    public PortMapEntry? Find(string switchName, string ifName) => _byPort.GetValueOrDefault((switchName, ifName));
}
