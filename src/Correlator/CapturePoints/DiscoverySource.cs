namespace FlowExporter.Correlator.CapturePoints;

/// <summary>A <c>capture.discover</c> value: a source of capture points that needs no interface name in the config.</summary>
public enum DiscoverySource
{
    /// <summary><c>ovs_pod_ports</c>: every OVS port whose external_ids name a pod (any CNI convention OvsEndpointMapper maps).</summary>
    OvsPodPorts,

    /// <summary><c>uplinks</c>: the interfaces that carry the IPv4 and IPv6 default routes.</summary>
    Uplinks,
}
