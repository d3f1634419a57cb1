using System.Runtime.InteropServices;
using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// What another engine (an eBPF map sweep, a flow record) saw of one connection since it last reported it, for
/// <see cref="ConnectionTracker.Observe(in ConnectionObservation)"/>: counts per side of the canonical key (A, B),
/// the TCP flags each side sent, and what its first packet was, so the table decides the initiator by the same rule as
/// for frames. Deltas, not totals: the engine reports what is new since its last report of the connection.
/// </summary>
/// <param name="Key">The connection (its capture point is <see cref="ConnectionKey.Interface"/>), canonical order.</param>
/// <param name="FirstSenderIsA">Side A sent the first packet the engine saw (of the whole connection, when it is new to the table).</param>
/// <param name="FirstFlags">The TCP flags of that first packet (<see cref="TcpFlags.None"/> for other protocols).</param>
/// <param name="FirstSeen">Capture time (ns since the Unix epoch) of the first packet counted here.</param>
/// <param name="LastSeen">Capture time (ns) of the last packet counted here.</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ConnectionObservation(
    ConnectionKey Key,
    bool FirstSenderIsA,
    TcpFlags FirstFlags,
    long FirstSeen,
    long LastSeen)
{
    /// <summary>Wire bytes side A sent.</summary>
    public ulong BytesFromA { get; init; }

    /// <summary>Packets side A sent.</summary>
    public ulong PacketsFromA { get; init; }

    public ulong BytesFromB { get; init; }

    public ulong PacketsFromB { get; init; }

    /// <summary>Every TCP flag side A sent (the union over its packets).</summary>
    public TcpFlags FlagsFromA { get; init; }

    public TcpFlags FlagsFromB { get; init; }

    /// <summary>IP octets (IP header and payload) side A sent, for flow records' octetDeltaCount; 0 when the engine does not measure them.</summary>
    public ulong IpBytesFromA { get; init; }

    public ulong IpBytesFromB { get; init; }

    /// <summary>The outermost 802.1Q VLAN of the first packet, for flow records' vlanId; 0 untagged or not known.</summary>
    public ushort VlanId { get; init; }

    /// <summary>Handshake RTT, retransmitted and zero-window segments and ICMP unreachable quotes the engine measured; default: none.</summary>
    public ObservedQuality Quality { get; init; }
}
