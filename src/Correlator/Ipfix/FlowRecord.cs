using System.Runtime.InteropServices;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// One connection's flow record: what it carried since its previous record (or since it opened). The source side is
/// always the initiator by the table's rule (<see cref="Evidence"/> says how it was decided); forward counts are the
/// initiator's packets, reverse counts the target's. Times are nanoseconds since the Unix epoch (capture time).
/// </summary>
/// <param name="HandshakeRttNanoseconds">The TCP handshake's RTT when quality is on and it was seen; 0 otherwise.</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct FlowRecord(
    ushort Interface,
    byte Protocol,
    IpAddress Source,
    ushort SourcePort,
    IpAddress Destination,
    ushort DestinationPort,
    long StartNanoseconds,
    long EndNanoseconds,
    FlowCounts Forward,
    FlowCounts Reverse,
    ushort VlanId,
    FlowEndReason EndReason,
    InitiatorEvidence Evidence,
    long HandshakeRttNanoseconds);
