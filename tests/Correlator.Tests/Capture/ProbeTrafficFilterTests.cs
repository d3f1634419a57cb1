using System.Net;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;
using PacketDotNet;

namespace FlowExporter.Correlator.Tests.Capture;

/// <summary>Probe traffic between exporters is counted as ignored (reason probe), not as connections; the rest is untouched.</summary>
public sealed class ProbeTrafficFilterTests
{
    private static readonly ProbeTrafficFilter Filter = new([9004], [IpAddress.Parse("10.99.1.1"), IpAddress.Parse("10.99.1.2"), IpAddress.Parse("10.99.1.3")]);

    [Theory]
    [InlineData("10.99.1.1", 41000, "10.99.1.2", 9004, true)]   // this exporter probes a peer
    [InlineData("10.99.1.2", 9004, "10.99.1.1", 41000, true)]   // the peer's answer
    [InlineData("10.99.1.3", 42000, "10.99.1.1", 9004, true)]   // a peer probes this exporter
    [InlineData("10.99.1.1", 41000, "10.99.1.2", 5201, false)]  // other traffic between the same nodes
    [InlineData("10.99.9.9", 43000, "10.99.1.2", 9004, false)]  // someone else (Prometheus) scraping a peer
    [InlineData("10.99.1.1", 41000, "10.99.9.9", 9004, false)]  // the listen port, but not to an exporter
    public void Only_tcp_between_exporter_addresses_on_the_listen_port_is_probe_traffic(string source, int sourcePort, string destination, int destinationPort, bool probe)
    {
        var pipeline = Pipeline(out var series);
        pipeline.ExcludedProbeTraffic = Filter;

        pipeline.Process(0, Frame(source, sourcePort, destination, destinationPort, out var frame));

        Assert.Equal(probe ? 1 : 0, pipeline.Stats[0].Ignored(IgnoredReason.Probe));
        Assert.Equal(probe ? 0 : 1, pipeline.Tracker.Count);
        Assert.Equal(probe ? 0 : 1, series.Count);
        GC.KeepAlive(frame);
    }

    /// <summary>Another engine's report of a connection (an eBPF sweep) is left out by the same rule, its packets counted as ignored.</summary>
    [Theory]
    [InlineData("10.99.1.1", 41000, "10.99.1.2", 9004, true)]
    [InlineData("10.99.1.2", 9004, "10.99.1.1", 41000, true)]
    [InlineData("10.99.1.3", 42000, "10.99.1.1", 9004, true)]
    [InlineData("10.99.1.1", 41000, "10.99.1.2", 5201, false)]
    [InlineData("10.99.9.9", 43000, "10.99.1.2", 9004, false)]
    [InlineData("10.99.1.1", 41000, "10.99.9.9", 9004, false)]
    public void An_observed_connection_is_probe_traffic_by_the_same_rule(string source, int sourcePort, string destination, int destinationPort, bool probe)
    {
        var engine = new CaptureEngine(new CaptureEngineOptions { MaxSeries = 100, Quality = QualityOptions.Disabled, MaxFragments = 16 });
        var point = engine.RegisterInterface("veth-a");
        engine.ExcludeProbeTraffic(Filter);
        var key = ConnectionKey.Of(point.Id, IpProtocol.Tcp, IpAddress.Parse(source), (ushort)sourcePort, IpAddress.Parse(destination), (ushort)destinationPort, out var sourceIsA);
        var observation = new ConnectionObservation(key, sourceIsA, TcpFlags.Syn, 1_000, 2_000)
        {
            BytesFromA = 300,
            PacketsFromA = 3,
            BytesFromB = 200,
            PacketsFromB = 2,
            FlagsFromA = TcpFlags.Syn | TcpFlags.Ack,
            FlagsFromB = TcpFlags.Syn | TcpFlags.Ack,
        };

        Assert.True(engine.Batch(observation, o => engine.Observe(o)));

        Assert.Equal(probe ? 5 : 0, engine.Pipeline.Stats[point.Id].Ignored(IgnoredReason.Probe));
        Assert.Equal(probe ? 0 : 1, engine.Pipeline.Tracker.Count);
    }

    [Fact]
    public void Udp_on_the_listen_port_is_not_probe_traffic()
    {
        var pipeline = Pipeline(out _);
        pipeline.ExcludedProbeTraffic = Filter;
        var ip = new IPv4Packet(IPAddress.Parse("10.99.1.1"), IPAddress.Parse("10.99.1.2")) { PayloadPacket = new UdpPacket(41000, 9004) { PayloadData = new byte[8] } };
        ip.UpdateCalculatedValues();
        var bytes = Frames.Ethernet(EthernetType.IPv4, ip);

        pipeline.Process(0, new CapturedFrame(0, LinkType.Ethernet, 1_000, bytes.Length, bytes));

        Assert.Equal(0, pipeline.Stats[0].Ignored(IgnoredReason.Probe));
        Assert.Equal(1, pipeline.Tracker.Count);
    }

    [Fact]
    public void Without_a_filter_probe_traffic_is_a_connection_like_any_other()
    {
        var pipeline = Pipeline(out _);

        pipeline.Process(0, Frame("10.99.1.1", 41000, "10.99.1.2", 9004, out _));

        Assert.Equal(0, pipeline.Stats[0].Ignored(IgnoredReason.Probe));
        Assert.Equal(1, pipeline.Tracker.Count);
    }

    private static CapturePipeline Pipeline(out ConnectionSeriesStore series)
    {
        var engine = new CaptureEngine(new CaptureEngineOptions { MaxSeries = 100, Quality = QualityOptions.Disabled, MaxFragments = 16 });
        series = engine.Series;
        return engine.Pipeline;
    }

    private static CapturedFrame Frame(string source, int sourcePort, string destination, int destinationPort, out byte[] bytes)
    {
        var tcp = new TcpPacket((ushort)sourcePort, (ushort)destinationPort) { Synchronize = true, SequenceNumber = 1, WindowSize = 64240, PayloadData = [] };
        var ip = new IPv4Packet(IPAddress.Parse(source), IPAddress.Parse(destination)) { PayloadPacket = tcp };
        ip.UpdateCalculatedValues();
        bytes = Frames.Ethernet(EthernetType.IPv4, ip);
        return new CapturedFrame(0, LinkType.Ethernet, 1_000, bytes.Length, bytes);
    }
}
