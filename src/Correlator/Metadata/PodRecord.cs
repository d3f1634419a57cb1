using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// The few fields of a Pod that metadata uses (everything else of the API object is dropped on arrival).
/// <paramref name="Live"/> is false once the pod has Succeeded or Failed: its IPs are released then, even though the
/// object (and its <c>status.podIPs</c>) may stay in the API for a long time.
/// </summary>
public sealed record PodRecord(
    string Namespace,
    string Name,
    string Node,
    bool HostNetwork,
    bool Live,
    IReadOnlyList<IpAddress> PodIps,
    IReadOnlyList<IpAddress> HostIps,
    OwnerRef? Owner);
