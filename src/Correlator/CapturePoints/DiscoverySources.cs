namespace FlowExporter.Correlator.CapturePoints;

/// <summary>The config spelling of <see cref="DiscoverySource"/> values, and the selector label each one carries.</summary>
public static class DiscoverySources
{
    public const string OvsPodPortsName = "ovs_pod_ports";
    public const string UplinksName = "uplinks";

    public static IReadOnlyList<string> Names { get; } = [OvsPodPortsName, UplinksName];

    public static bool TryParse(string value, out DiscoverySource source)
    {
        switch (value)
        {
            case OvsPodPortsName:
                source = DiscoverySource.OvsPodPorts;
                return true;
            case UplinksName:
                source = DiscoverySource.Uplinks;
                return true;
            default:
                source = default;
                return false;
        }
    }

    public static string Name(DiscoverySource source) => source switch
    {
        DiscoverySource.OvsPodPorts => OvsPodPortsName,
        DiscoverySource.Uplinks => UplinksName,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <summary>The points-by-selector label: <c>discover:NAME</c>, so that it cannot collide with an interface entry.</summary>
    public static string Label(DiscoverySource source) => "discover:" + Name(source);
}
