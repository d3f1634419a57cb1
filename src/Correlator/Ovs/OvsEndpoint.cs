namespace FlowExporter.Correlator.Ovs;

/// <summary>Which CNI's convention an interface's external_ids follow.</summary>
public enum OvsEndpointConvention
{
    /// <summary>No known convention: the port is exported unmapped.</summary>
    None,
    OvnKubernetes,
    KubeOvn,
    Antrea,

    /// <summary>An <c>iface-id</c> that is a UUID (OpenStack/OVN Neutron port): left for metadata to resolve.</summary>
    OpenStack,
}

/// <summary>
/// What an interface's external_ids say about the endpoint behind it. Pod namespace and name are set only when a
/// convention names them; <see cref="IfaceId"/>, <see cref="AttachedMac"/> and <see cref="Ip"/> are kept as given so
/// metadata can resolve unmapped ports later.
/// </summary>
public sealed record OvsEndpoint(
    OvsEndpointConvention Convention,
    string? PodNamespace,
    string? PodName,
    string? IfaceId,
    string? AttachedMac,
    string? Ip)
{
    public static readonly OvsEndpoint Unmapped = new(OvsEndpointConvention.None, null, null, null, null, null);

    public bool IsMapped => PodNamespace is not null && PodName is not null;
}
