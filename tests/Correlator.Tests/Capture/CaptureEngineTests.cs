using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Capture;

public sealed class CaptureEngineTests
{
    private const int Ethernet = 1;
    private static readonly byte[] Udp = Frames.Ipv4Udp(payload: 10);

    [Fact]
    public void Each_interface_name_gets_one_sink_and_keeps_its_id()
    {
        var engine = new CaptureEngine(new CaptureEngineOptions { Node = "n" });
        var eth0 = engine.RegisterInterface("eth0");
        var eth1 = engine.RegisterInterface("eth1");
        Assert.Same(eth0, engine.RegisterInterface("eth0"));
        Assert.Equal((ushort)0, eth0.Id);
        Assert.Equal((ushort)1, eth1.Id);
        Assert.Equal(["eth0", "eth1"], engine.InterfaceNames);

        var snapshot = new ConnectionSnapshot();
        Assert.Equal(["eth0", "eth1"], engine.Snapshot(snapshot, advanceToNanoseconds: null));
        Assert.Equal(2, snapshot.Interfaces.Count);
        Assert.All(snapshot.Interfaces, stats => Assert.Equal(0, stats.Packets));
    }

    /// <summary>The same datagram on both interfaces: one connection counted once per node (the default), or one per interface.</summary>
    [Theory]
    [InlineData(CountAt.Node)]
    [InlineData(CountAt.EveryPoint)]
    public void Frames_of_a_batch_are_counted_on_the_interface_of_their_sink_and_join_one_table(CountAt countAt)
    {
        var engine = new CaptureEngine(new CaptureEngineOptions { Node = "n", Connections = new ConnectionTrackerOptions { CountAt = countAt } });
        var eth0 = engine.RegisterInterface("eth0");
        var eth1 = engine.RegisterInterface("eth1");
        var accepted = engine.Batch((First: eth0, Second: eth1), static sinks =>
        {
            sinks.First.Accept(new CapturedFrame(0, Ethernet, 1_000_000_000, Udp.Length, Udp));
            sinks.First.Accept(new CapturedFrame(0, Ethernet, 1_000_000_100, Udp.Length, Udp));
            sinks.Second.Accept(new CapturedFrame(0, Ethernet, 1_000_000_200, 1500, Udp));
            return 3;
        });

        Assert.Equal(3, accepted);
        var snapshot = new ConnectionSnapshot();
        engine.Snapshot(snapshot, advanceToNanoseconds: null);
        Assert.Equal(2, snapshot.Interfaces[0].Packets);
        Assert.Equal(2L * Udp.Length, snapshot.Interfaces[0].Bytes);
        Assert.Equal(1, snapshot.Interfaces[1].Packets);
        Assert.Equal(1500, snapshot.Interfaces[1].Bytes);
        Assert.Equal(countAt == CountAt.Node ? 1 : 2, snapshot.TrackedConnections);
        var duplicates = snapshot.Duplicates.Select(d => (d.Packets, d.Bytes)).ToArray();
        Assert.Equal(countAt == CountAt.Node ? (1L, 1500L) : (0L, 0L), duplicates.ElementAtOrDefault(1));
        Assert.Equal(1_000_000_200, engine.Now);
    }

    [Fact]
    public void A_frame_accepted_outside_a_batch_is_refused_and_not_counted()
    {
        var engine = new CaptureEngine(new CaptureEngineOptions { Node = "n" });
        var sink = engine.RegisterInterface("eth0");
        var problem = Assert.Throws<InvalidOperationException>(() => sink.Accept(new CapturedFrame(0, Ethernet, 1, Udp.Length, Udp)));
        Assert.Equal("capture interface eth0: a frame was accepted outside a batch", problem.Message);

        var snapshot = new ConnectionSnapshot();
        engine.Snapshot(snapshot, advanceToNanoseconds: null);
        Assert.Equal(0, snapshot.Interfaces[0].Packets);
    }

    [Fact]
    public void A_snapshot_advances_the_table_to_the_time_it_is_given()
    {
        var engine = new CaptureEngine(new CaptureEngineOptions { Node = "n" });
        engine.RegisterInterface("eth0");
        engine.Snapshot(new ConnectionSnapshot(), advanceToNanoseconds: 5_000_000_000);
        Assert.Equal(5_000_000_000, engine.Now);
    }
}
