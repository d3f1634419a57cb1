using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// What one connection carried on one interface during one sweep interval, read from the kernel: the counts are deltas
/// (the interval's map generation is drained whole), the endpoints are in <see cref="ConnectionKey"/>'s canonical order
/// (A the lower address, then port), and the first-packet facts are those of the first packet the interval saw.
/// </summary>
/// <remarks>
/// Mapping onto the connection table (the non-frame observation API): the key is
/// <c>ConnectionKey(interface id of InterfaceIndex, Protocol, AddressA, PortA, AddressB, PortB)</c>; a connection the table
/// does not hold yet opens with <see cref="Initiator"/> (the libpcap engine's rule applied to the interval's first
/// packet); the deltas then add forward (from the initiator) and backward bytes and packets; <see cref="LastSeenNanoseconds"/>
/// is its activity time; FIN from either side or RST (in <see cref="TcpFlagsFromA"/>/<see cref="TcpFlagsFromB"/>) starts
/// its close linger; <see cref="SynNanoseconds"/>/<see cref="SynAckNanoseconds"/> give the handshake's SYN to SYN-ACK
/// time. Times are CLOCK_MONOTONIC nanoseconds (<c>bpf_ktime_get_ns</c>); <see cref="EbpfSweeper.ToUnixNanoseconds"/>
/// converts them.
/// </remarks>
public readonly record struct EbpfConnectionSample(
    int InterfaceIndex,
    byte Protocol,
    IpAddress AddressA,
    ushort PortA,
    IpAddress AddressB,
    ushort PortB,
    ulong BytesFromA,
    ulong BytesFromB,
    ulong PacketsFromA,
    ulong PacketsFromB,
    long FirstSeenNanoseconds,
    long LastSeenNanoseconds,
    long SynNanoseconds,
    long SynAckNanoseconds,
    TcpFlags TcpFlagsFromA,
    TcpFlags TcpFlagsFromB,
    bool FirstFromB,
    TcpFlags FirstPacketFlags,
    HandshakeEvidence Handshake)
{
    /// <summary>IP octets (IP header onwards) A sent, as the libpcap engine's DecodedPacket.IpLength sums them.</summary>
    public ulong IpBytesFromA { get; init; }

    public ulong IpBytesFromB { get; init; }

    /// <summary>The outermost VLAN id of the interval's first packet; 0 untagged.</summary>
    public ushort VlanId { get; init; }

    /// <summary>What the program's TCP sequence analysis and ICMP quote decoding found in the interval.</summary>
    public ObservedQuality Quality { get; init; }

    /// <summary>True when a FIN went either way or an RST was seen: the connection is closing.</summary>
    public bool Finished => ((TcpFlagsFromA | TcpFlagsFromB) & (Fin | Rst)) != 0;

    /// <summary>
    /// The initiator by the libpcap engine's rule (ConnectionTracker.DecideInitiator), applied to the interval's first
    /// packet: a SYN's sender, a SYN-ACK's receiver, else the side of the higher port when ports differ, else the first
    /// packet's sender.
    /// </summary>
    public (bool InitiatorIsA, InitiatorEvidence Evidence) Initiator()
    {
        var firstFromA = !FirstFromB;
        if ((FirstPacketFlags & (Syn | Ack)) == Syn)
        {
            return (firstFromA, InitiatorEvidence.Syn);
        }

        if ((FirstPacketFlags & (Syn | Ack)) == (Syn | Ack))
        {
            return (!firstFromA, InitiatorEvidence.SynAck);
        }

        if (IpProtocol.HasPorts(Protocol) && PortA != PortB)
        {
            return (PortA > PortB, InitiatorEvidence.Port);
        }

        return (firstFromA, InitiatorEvidence.FirstPacket);
    }
}
