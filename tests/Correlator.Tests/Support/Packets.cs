using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Support;

internal static class Packets
{
    public static DecodedPacket Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, TcpFlags flags) => new()
    {
        Source = IpAddress.Parse(source),
        Destination = IpAddress.Parse(destination),
        SourcePort = sourcePort,
        DestinationPort = destinationPort,
        Protocol = IpProtocol.Tcp,
        HasPorts = true,
        TcpFlags = flags,
    };

    public static DecodedPacket Udp(string source, ushort sourcePort, string destination, ushort destinationPort) => new()
    {
        Source = IpAddress.Parse(source),
        Destination = IpAddress.Parse(destination),
        SourcePort = sourcePort,
        DestinationPort = destinationPort,
        Protocol = IpProtocol.Udp,
        HasPorts = true,
    };

    public static DecodedPacket Icmp(string source, string destination) => new()
    {
        Source = IpAddress.Parse(source),
        Destination = IpAddress.Parse(destination),
        Protocol = IpProtocol.Icmp,
    };
}
