using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Capture;

/// <summary>
/// Capture point ids on a node whose pods come and go (a new veth name each time): a point closed for good gives its id
/// back once its connections have left and a snapshot has shown its final values; ids, names and per-point counters are
/// bounded by the points alive, not by every name the node ever had.
/// </summary>
public sealed class CapturePointIdTests
{
    private const long Millisecond = 1_000_000;
    private const long Second = 1_000_000_000;
    private const int EthernetLinkType = 1;

    [Fact]
    public void Hundred_thousand_points_registered_and_closed_with_connections_keep_ids_and_counters_bounded()
    {
        var engine = Engine(TimeSpan.FromSeconds(1));
        var snapshot = new ConnectionSnapshot();
        var highestId = 0;
        for (var i = 0; i < 100_000; i++)
        {
            // A point lives for a millisecond of capture time, carries one connection and is deleted; its connection
            // expires a second later. A scrape every 100 ms.
            var at = (1 * Second) + (i * Millisecond);
            var sink = engine.RegisterInterface($"veth{i:x5}");
            highestId = Math.Max(highestId, sink.Id);
            engine.Batch((sink, Frame: Udp((ushort)(1024 + (i % 60_000)), at)), static state =>
            {
                state.sink.Accept(new CapturedFrame(state.sink.Id, EthernetLinkType, state.Frame.At, state.Frame.Data.Length, state.Frame.Data));
                return 0;
            });
            engine.ReleaseInterface($"veth{i:x5}");
            if (i % 100 == 99)
            {
                engine.Snapshot(snapshot, at);
            }
        }

        // Alive at once: the points whose connection has not expired (a second of points) and one scrape's worth more.
        Assert.InRange(highestId, 1_000, 1_200);
        Assert.InRange(engine.InterfaceNames.Count, 1_000, 1_201);
        Assert.InRange(snapshot.Interfaces.Count, 1_000, 1_201);
        Assert.InRange(snapshot.Lifecycle.Count, 1_000, 1_200);

        // Every connection expires; the scrape after that shows the last ones, the next shows no point at all.
        var end = (1 * Second) + (100_000 * Millisecond) + (2 * Second);
        var names = engine.Snapshot(snapshot, end);
        Assert.Contains(names, n => n.Length > 0);
        Assert.Equal(0, engine.InterfacesInUse);
        names = engine.Snapshot(snapshot, end + Second);
        Assert.All(names, n => Assert.Equal(string.Empty, n));
        Assert.Empty(snapshot.Lifecycle);
        Assert.Equal(0, snapshot.SampleCount);
        Assert.DoesNotContain("veth", Render(snapshot, names), StringComparison.Ordinal);
        Assert.Equal(0, engine.Pipeline.Tracker.Count);
    }

    [Fact]
    public void A_deleted_point_leaves_after_its_connections_and_a_new_point_reuses_its_id_from_zero()
    {
        var engine = Engine(TimeSpan.FromSeconds(60));
        var snapshot = new ConnectionSnapshot();
        var gone = engine.RegisterInterface("veth-gone");
        var stays = engine.RegisterInterface("eth0");
        Accept(gone, Udp(5000, 1 * Second));
        Accept(stays, Udp(6000, 1 * Second));
        engine.ReleaseInterface("veth-gone");

        // Its connection is alive: the point and its series are still there.
        var text = Render(snapshot, engine.Snapshot(snapshot, 2 * Second));
        Assert.Single(Lines(text, "network_capture_packets_total{", "interface=\"veth-gone\""));
        Assert.Single(Lines(text, "network_connection_bytes_total{", "interface=\"veth-gone\""), l => l.Contains("initiator_to_target", StringComparison.Ordinal));

        // The connection times out: one more scrape shows the final values, then the point is gone from every family.
        text = Render(snapshot, engine.Snapshot(snapshot, 62 * Second));
        Assert.Single(Lines(text, "network_capture_packets_total{", "interface=\"veth-gone\""), l => l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.NotEmpty(Lines(text, "network_connection_bytes_total{", "interface=\"veth-gone\""));
        text = Render(snapshot, engine.Snapshot(snapshot, 63 * Second));
        Assert.DoesNotContain("veth-gone", text, StringComparison.Ordinal);
        Assert.Single(Lines(text, "network_capture_packets_total{", "interface=\"eth0\""));

        // A new point takes the free id, from zero; a late frame on the deleted point's sink is not counted at it.
        var next = engine.RegisterInterface("veth-next");
        Assert.Equal(gone.Id, next.Id);
        Assert.True(gone.IsRetired);
        Accept(gone, Udp(5001, 64 * Second));
        text = Render(snapshot, engine.Snapshot(snapshot, 64 * Second));
        Assert.Single(Lines(text, "network_capture_packets_total{", "interface=\"veth-next\""), l => l.EndsWith(" 0", StringComparison.Ordinal));
        Assert.Empty(Lines(text, "network_connections_opened_total{", "interface=\"veth-next\""));
        Accept(next, Udp(5002, 65 * Second));
        text = Render(snapshot, engine.Snapshot(snapshot, 65 * Second));
        Assert.Single(Lines(text, "network_capture_packets_total{", "interface=\"veth-next\""), l => l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.Single(Lines(text, "network_connections_opened_total{", "interface=\"veth-next\""), l => l.EndsWith(" 1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_point_back_before_its_id_is_freed_keeps_its_id_and_counters()
    {
        var engine = Engine(TimeSpan.FromSeconds(60));
        var snapshot = new ConnectionSnapshot();
        var first = engine.RegisterInterface("veth-a");
        Accept(first, Udp(5000, 1 * Second));
        engine.ReleaseInterface("veth-a");
        var again = engine.RegisterInterface("veth-a");
        Assert.Same(first, again);

        var text = Render(snapshot, engine.Snapshot(snapshot, 100 * Second));
        text = Render(snapshot, engine.Snapshot(snapshot, 101 * Second));
        Assert.Single(Lines(text, "network_capture_packets_total{", "interface=\"veth-a\""), l => l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.False(first.IsRetired);
        Assert.Equal(1, engine.InterfacesInUse);
    }

    private static CaptureEngine Engine(TimeSpan timeout) => new(new CaptureEngineOptions
    {
        Connections = new ConnectionTrackerOptions { Timeout = timeout },
        Quality = QualityOptions.Disabled,
    });

    private static void Accept(CaptureSink sink, (byte[] Data, long At) frame) =>
        sink.Batch((sink, frame), static state =>
        {
            state.sink.Accept(new CapturedFrame(state.sink.Id, EthernetLinkType, state.frame.At, state.frame.Data.Length, state.frame.Data));
            return 0;
        });

    /// <summary>An Ethernet IPv4 UDP frame from <paramref name="sourcePort"/>, captured at <paramref name="at"/>.</summary>
    private static (byte[] Data, long At) Udp(ushort sourcePort, long at)
    {
        var data = Frames.Ipv4Udp();
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(14 + 20), sourcePort);
        return (data, at);
    }

    private static string Render(ConnectionSnapshot snapshot, IReadOnlyList<string> names)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new ConnectionMetricsWriter("node-a", SeriesNaming.Prometheus).Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText), snapshot, names, null);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] Lines(string text, string prefix, string label) =>
        [.. text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))];
}
