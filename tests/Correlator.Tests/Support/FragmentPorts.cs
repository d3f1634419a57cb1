using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Tests.Support;

/// <summary>The ports the capture pipeline gives a decoded packet, for tests that feed the table without it.</summary>
internal static class FragmentPorts
{
    /// <summary>A later fragment takes its first fragment's ports; false: an orphan fragment (the pipeline ignores it).</summary>
    public static bool Resolve(FragmentTracker fragments, in DecodedPacket packet, long time, out ushort sourcePort, out ushort destinationPort)
    {
        sourcePort = packet.SourcePort;
        destinationPort = packet.DestinationPort;
        if (!packet.IsFragment || !IpProtocol.HasPorts(packet.Protocol))
        {
            return true;
        }

        if (packet.FragmentOffset == 0)
        {
            fragments.Remember(packet.Source, packet.Destination, packet.Protocol, packet.FragmentId, sourcePort, destinationPort, time);
            return true;
        }

        return fragments.TryRecall(packet.Source, packet.Destination, packet.Protocol, packet.FragmentId, time, out sourcePort, out destinationPort);
    }
}
