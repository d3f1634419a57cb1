using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The identity of one exported connection series (its label set, less direction, which each series carries as two
/// counters). Ports that an aggregation level drops are 0 and exported as empty labels.
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
    bool HasTargetPort);
