using System.Runtime.InteropServices;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// A connection's identity in the table: capture point, protocol and both endpoints in canonical order (endpoint A is
/// the lower address, then port), so both directions of a connection find the same entry. VLAN tags and tunnel headers
/// are not part of it: the same 5-tuple seen on one capture interface is one connection. Counted once per node
/// (<see cref="CountAt.Node"/>), the table finds a connection by this key with <see cref="Interface"/> 0 (the 5-tuple
/// alone) and keeps the capture point that counts it in its entry.
/// </summary>
[StructLayout(LayoutKind.Auto)] // 40 bytes instead of 56: the addresses first, the small fields packed after them.
public readonly record struct ConnectionKey(ushort Interface, byte Protocol, IpAddress AddressA, ushort PortA, IpAddress AddressB, ushort PortB)
{
    public bool Equals(ConnectionKey other) =>
        AddressA.Equals(other.AddressA) && AddressB.Equals(other.AddressB)
        && PortA == other.PortA && PortB == other.PortB && Protocol == other.Protocol && Interface == other.Interface;

    public override int GetHashCode()
    {
        var h = (AddressA.Low * 0x9E3779B97F4A7C15UL) ^ AddressA.High;
        h = ((h ^ AddressB.Low) * 0xBF58476D1CE4E5B9UL) ^ AddressB.High;
        h = (h ^ ((ulong)PortA << 32) ^ ((ulong)PortB << 16) ^ ((ulong)Protocol << 8) ^ Interface) * 0x94D049BB133111EBUL;
        return (int)(h ^ (h >> 31));
    }

    /// <summary>Builds the canonical key for a packet; <paramref name="sourceIsA"/> says which side sent it.</summary>
    public static ConnectionKey From(ushort captureInterface, in DecodedPacket packet, ushort sourcePort, ushort destinationPort, out bool sourceIsA) =>
        Of(captureInterface, packet.Protocol, packet.Source, sourcePort, packet.Destination, destinationPort, out sourceIsA);

    /// <summary>Builds the canonical key of a packet from its parts (a quoted packet, say).</summary>
    public static ConnectionKey Of(ushort captureInterface, byte protocol, IpAddress source, ushort sourcePort, IpAddress destination, ushort destinationPort, out bool sourceIsA)
    {
        var order = source.CompareTo(destination);
        sourceIsA = order < 0 || (order == 0 && sourcePort <= destinationPort);
        return sourceIsA
            ? new ConnectionKey(captureInterface, protocol, source, sourcePort, destination, destinationPort)
            : new ConnectionKey(captureInterface, protocol, destination, destinationPort, source, sourcePort);
    }
}
