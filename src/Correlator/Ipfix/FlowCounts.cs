namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// One direction of a flow record: IP octets (IP header and payload, as RFC 7012 defines octetDeltaCount), frame
/// octets (the wire length our series count: layer2OctetDeltaCount), packets, the OR of its TCP flags, and the TCP
/// segments sequence analysis counted as retransmissions (0 when quality is off).
/// </summary>
public readonly record struct FlowCounts(ulong IpOctets, ulong Layer2Octets, ulong Packets, byte TcpFlags, ulong Retransmissions = 0);
