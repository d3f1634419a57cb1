using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The identity of one exported connection series (its label set, less direction, which each series carries as two
/// counters). Ports that an aggregation level drops are 0 and exported as empty labels. At the pod and workload levels
/// an end that metadata named at open carries its interned <see cref="EndpointIdentity"/> and no address (default);
/// an end it did not name keeps its address. Identities compare by reference: interning makes equal label sets one
/// object. A key built by <see cref="SeriesKeyFactory"/> holds one reference on each of its identities (see
/// <see cref="ReleaseIdentities"/>).
/// </summary>
public readonly record struct SeriesKey(
    ushort Interface,
    byte Protocol,
    InitiatorEvidence Evidence,
    IpAddress Initiator,
    ushort InitiatorPort,
    IpAddress Target,
    ushort TargetPort,
    bool HasInitiatorPort,
    bool HasTargetPort)
{
    /// <summary>The initiator's pod or workload, when decided at open; null: the initiator is its address.</summary>
    public EndpointIdentity? InitiatorIdentity { get; init; }

    /// <summary>The target's pod, workload or Service, when decided at open; null: the target is its address.</summary>
    public EndpointIdentity? TargetIdentity { get; init; }

    public ObservedAt ObservedAt { get; init; }

    /// <summary>
    /// Gives back the references this key holds on its interned identities. Called exactly once per key that
    /// <see cref="SeriesKeyFactory.For"/> built: by a store when the key matched an existing series or found no room,
    /// or when the series it created is removed.
    /// </summary>
    public void ReleaseIdentities()
    {
        InitiatorIdentity?.Release();
        TargetIdentity?.Release();
    }
}
