using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FlowExporter.Capture.Ebpf;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Tests.Capture.Ebpf;

public sealed class EbpfConnectionSampleTests
{
    [Fact]
    public void The_map_records_have_the_sizes_of_the_programs_structs()
    {
        // struct flow_key and struct flow_value in bpf/flow.bpf.c.
        Assert.Equal(44, Unsafe.SizeOf<EbpfMapLayout.FlowKey>());
        Assert.Equal(128, Unsafe.SizeOf<EbpfMapLayout.FlowValue>());
        Assert.Equal(78, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.VlanId)).ToInt32());
        Assert.Equal(80, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.IpBytesFromA)).ToInt32());
        Assert.Equal(88, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.IpBytesFromB)).ToInt32());
        Assert.Equal(96, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.HandshakeRttNanoseconds)).ToInt32());
        Assert.Equal(104, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.RetransmissionsFromA)).ToInt32());
        Assert.Equal(112, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.ZeroWindowsFromA)).ToInt32());
        Assert.Equal(120, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.Handshake)).ToInt32());
        Assert.Equal(124, Marshal.OffsetOf<EbpfMapLayout.FlowValue>(nameof(EbpfMapLayout.FlowValue.Unreachable)).ToInt32());
    }

    [Theory]
    [InlineData(6, 40000, 80, false, TcpFlags.Syn, true, InitiatorEvidence.Syn)]
    [InlineData(6, 40000, 80, true, TcpFlags.Syn, false, InitiatorEvidence.Syn)]
    [InlineData(6, 80, 40000, false, TcpFlags.Syn | TcpFlags.Ack, false, InitiatorEvidence.SynAck)]
    [InlineData(6, 80, 40000, true, TcpFlags.Syn | TcpFlags.Ack, true, InitiatorEvidence.SynAck)]
    [InlineData(6, 80, 40000, false, TcpFlags.Ack, false, InitiatorEvidence.Port)]
    [InlineData(17, 53, 53000, true, TcpFlags.None, false, InitiatorEvidence.Port)]
    [InlineData(17, 5353, 5353, true, TcpFlags.None, false, InitiatorEvidence.FirstPacket)]
    [InlineData(1, 0, 0, false, TcpFlags.None, true, InitiatorEvidence.FirstPacket)]
    public void The_initiator_follows_the_libpcap_engines_rule_on_the_first_packet(
        byte protocol, ushort portA, ushort portB, bool firstFromB, TcpFlags firstFlags, bool initiatorIsA, InitiatorEvidence evidence)
    {
        var sample = Sample(protocol, portA, portB) with { FirstFromB = firstFromB, FirstPacketFlags = firstFlags };
        Assert.Equal((initiatorIsA, evidence), sample.Initiator());
    }

    [Fact]
    public void The_initiator_agrees_with_the_connection_table_on_the_same_first_packet()
    {
        // The table decides on the first packet it sees; fed that packet, it names the same initiator and evidence.
        var a = IpAddress.Parse("10.0.0.1");
        var b = IpAddress.Parse("10.0.0.2");
        foreach (var (source, sourcePort, destination, destinationPort, flags) in new[]
        {
            (b, (ushort)443, a, (ushort)50000, TcpFlags.Syn | TcpFlags.Ack),
            (a, (ushort)50000, b, (ushort)443, TcpFlags.Ack),
            (b, (ushort)443, a, (ushort)50000, TcpFlags.Ack | TcpFlags.Psh),
        })
        {
            var key = ConnectionKey.Of(0, 6, source, sourcePort, destination, destinationPort, out var sourceIsA);
            var sample = Sample(6, key.PortA, key.PortB) with { FirstFromB = !sourceIsA, FirstPacketFlags = flags };
            var (initiatorIsA, evidence) = sample.Initiator();
            var series = new FlowExporter.Correlator.Series.ConnectionSeriesStore(16);
            var tracker = new ConnectionTracker(new ConnectionTrackerOptions { MaxConnections = 16 }, new FlowExporter.Correlator.Series.ConnectionSeries(series));
            var packet = new DecodedPacket { Protocol = 6, Source = source, Destination = destination, SourcePort = sourcePort, DestinationPort = destinationPort, HasPorts = true, TcpFlags = flags };
            Assert.True(tracker.Observe(0, packet, sourcePort, destinationPort, 60, 1));
            tracker.FlushCounters();
            var buffer = Array.Empty<FlowExporter.Correlator.Series.SeriesSample>();
            Assert.Equal(1, series.Snapshot(ref buffer));
            var tableKey = buffer[0].Key;
            Assert.Equal(evidence, tableKey.Evidence);
            Assert.Equal(initiatorIsA ? key.AddressA : key.AddressB, tableKey.Initiator);
        }
    }

    private static EbpfConnectionSample Sample(byte protocol, ushort portA, ushort portB) => new(
        2, protocol, IpAddress.Parse("10.0.0.1"), portA, IpAddress.Parse("10.0.0.2"), portB,
        0, 0, 0, 0, 0, 0, 0, 0, TcpFlags.None, TcpFlags.None, false, TcpFlags.None, HandshakeEvidence.None);
}
