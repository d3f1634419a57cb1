namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>What one poll of one switch found. <see cref="Uses32BitCounters"/> is true when the agent lacks ifXTable counters.</summary>
public sealed record SwitchSnapshot(string Switch, IReadOnlyList<SwitchPort> Ports, bool Uses32BitCounters);
