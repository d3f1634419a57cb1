namespace FlowExporter.Correlator.Ovs;

/// <summary>A Bridge row: its name and the Port rows it holds (Bridge.ports).</summary>
public sealed record OvsBridgeRow(string Uuid, string Name, IReadOnlyList<string> PortUuids);

/// <summary>A Port row: its name and its Interface rows (Port.interfaces; more than one for a bond).</summary>
public sealed record OvsPortRow(string Uuid, string Name, IReadOnlyList<string> InterfaceUuids);

/// <summary>
/// An Interface row with the columns the exporter reads. <see cref="Type"/> is OVS's (empty for a system device);
/// <see cref="OfPort"/> is null before vswitchd assigned one and -1 when the device could not be opened.
/// </summary>
public sealed record OvsInterfaceRow(
    string Uuid,
    string Name,
    string Type,
    long? OfPort,
    string? AdminState,
    string? LinkState,
    string? MacInUse,
    string? Error,
    IReadOnlyDictionary<string, string> ExternalIds,
    OvsInterfaceCounters Counters);
