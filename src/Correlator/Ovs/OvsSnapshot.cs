namespace FlowExporter.Correlator.Ovs;

/// <summary>One interface as exported: where it sits (bridge, port), its row, and the endpoint its external_ids name.</summary>
public sealed record OvsInterfaceSample(string Bridge, string Port, OvsInterfaceRow Interface, OvsEndpoint Endpoint);

/// <summary>
/// Every interface reachable from a bridge (Bridge.ports, then Port.interfaces), ordered by bridge then interface name.
/// The same value whether it came from ovs-vsctl or from an OVSDB monitor.
/// </summary>
public sealed class OvsSnapshot
{
    public static readonly OvsSnapshot Empty = new([]);

    public OvsSnapshot(IReadOnlyList<OvsInterfaceSample> interfaces)
    {
        Interfaces = interfaces;
    }

    public IReadOnlyList<OvsInterfaceSample> Interfaces { get; }
}
