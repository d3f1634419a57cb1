namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>One configured fact: switch port <see cref="IfName"/> of <see cref="Switch"/> (on <see cref="Vlan"/>) is cabled to <see cref="NodeInterface"/> of <see cref="Node"/>.</summary>
public sealed record PortMapEntry(string Switch, string IfName, int Vlan, string Node, string NodeInterface);
