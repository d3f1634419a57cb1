using System.Collections.Frozen;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// Recognises the exporters' own probe traffic: TCP between two exporter addresses (this exporter's and its peers')
/// where one side is on an exporter listen port (usually one port for all). Ports are compared first, so a packet on
/// any other port costs a few comparisons; only packets on a listen port look the addresses up. Immutable: a new peer
/// set is a new filter.
/// </summary>
public sealed class ProbeTrafficFilter
{
    private readonly FrozenSet<IpAddress> _exporters;

    private readonly ushort[] _ports;

    public ProbeTrafficFilter(IReadOnlyList<ushort> ports, IEnumerable<IpAddress> exporterAddresses)
    {
        _ports = [.. ports.Distinct()];
        _exporters = exporterAddresses.ToFrozenSet();
    }

    public IReadOnlyList<ushort> Ports => _ports;

    public int AddressCount => _exporters.Count;

    public bool Matches(in DecodedPacket packet, ushort sourcePort, ushort destinationPort) =>
        packet.Protocol == IpProtocol.Tcp
        && OnListenPort(sourcePort, destinationPort)
        && _exporters.Contains(packet.Source)
        && _exporters.Contains(packet.Destination);

    /// <summary>The same test on a connection's key: another engine reports connections, not frames.</summary>
    public bool Matches(in ConnectionKey key) =>
        key.Protocol == IpProtocol.Tcp
        && OnListenPort(key.PortA, key.PortB)
        && _exporters.Contains(key.AddressA)
        && _exporters.Contains(key.AddressB);

    private bool OnListenPort(ushort sourcePort, ushort destinationPort)
    {
        foreach (var port in _ports)
        {
            if (sourcePort == port || destinationPort == port)
            {
                return true;
            }
        }

        return false;
    }
}
