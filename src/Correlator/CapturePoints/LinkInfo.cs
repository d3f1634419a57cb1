namespace FlowExporter.Correlator.CapturePoints;

/// <summary>A network interface present in the node's namespace, as rtnetlink describes it.</summary>
/// <param name="Kind">IFLA_INFO_KIND (<c>veth</c>, <c>openvswitch</c>, <c>bridge</c>...); null for a physical device or loopback.</param>
public sealed record LinkInfo(int Index, string Name, bool AdminUp, LinkOperState OperState, string? Kind)
{
    /// <summary>
    /// Whether a capture on it can run: administratively up and not reported down. <c>unknown</c> counts as up, as
    /// the kernel reports it for loopback and for tun/tap devices that carry traffic.
    /// </summary>
    public bool IsUsable => AdminUp && OperState is LinkOperState.Up or LinkOperState.Unknown;
}
