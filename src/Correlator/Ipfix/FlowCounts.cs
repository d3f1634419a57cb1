namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// One direction of a flow record: IP octets (IP header and payload, as RFC 7012 defines octetDeltaCount), frame
/// octets (the wire length our series count: layer2OctetDeltaCount), packets, and the OR of its TCP flags.
/// </summary>
public readonly record struct FlowCounts(ulong IpOctets, ulong Layer2Octets, ulong Packets, byte TcpFlags);
