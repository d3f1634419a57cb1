using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// A connection's identity in the table: capture point, protocol and both endpoints in canonical order (endpoint A is
/// the lower address, then port), so both directions of a connection find the same entry. VLAN tags and tunnel headers
/// are not part of it: the same 5-tuple seen on one capture interface is one connection.
/// </summary>
public readonly record struct ConnectionKey(ushort Interface, byte Protocol, IpAddress AddressA, ushort PortA, IpAddress AddressB, ushort PortB)
{
    /// <summary>Builds the canonical key for a packet; <paramref name="sourceIsA"/> says which side sent it.</summary>
    public static ConnectionKey From(ushort captureInterface, in DecodedPacket packet, ushort sourcePort, ushort destinationPort, out bool sourceIsA)
    {
        var order = packet.Source.CompareTo(packet.Destination);
        sourceIsA = order < 0 || (order == 0 && sourcePort <= destinationPort);
        return sourceIsA
            ? new ConnectionKey(captureInterface, packet.Protocol, packet.Source, sourcePort, packet.Destination, destinationPort)
            : new ConnectionKey(captureInterface, packet.Protocol, packet.Destination, destinationPort, packet.Source, sourcePort);
    }
}
