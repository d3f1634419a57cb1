using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Ipfix;

/// <summary>The connection table's flow records: when they go out, why, and that their deltas add up exactly.</summary>
public sealed class FlowRecorderTests
{
    private const long Second = 1_000_000_000;
    private readonly ConnectionSeriesStore _series = new(1000);
    private readonly CollectingSink _sink = new();

    private ConnectionTracker Tracker(int max = 1000, TimeSpan? active = null) => new(
        new ConnectionTrackerOptions
        {
            Timeout = TimeSpan.FromSeconds(60),
            CloseLinger = TimeSpan.FromSeconds(5),
            MaxConnections = max,
            EvictionMinIdle = TimeSpan.FromSeconds(5),
        },
        new ConnectionSeries(_series),
        quality: null,
        new FlowRecorder(_sink, active ?? TimeSpan.FromSeconds(60), max));

    private static void Observe(ConnectionTracker tracker, DecodedPacket packet, int wireBytes, long at)
    {
        // Ethernet: the IP packet is the frame without its 14-byte header.
        packet.IpLength = wireBytes - 14;
        Assert.True(tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, wireBytes, at));
    }

    [Fact]
    public void A_finished_connection_sends_one_end_of_flow_record_with_the_initiator_as_source()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        Observe(tracker, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second + 1_000_000);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack | Psh), 200, 2 * Second);
        Observe(tracker, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Fin | Ack), 66, 3 * Second);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Fin | Ack), 66, 3 * Second);
        Assert.Empty(_sink.Records);

        tracker.Advance(9 * Second); // past the 5 s linger
        var record = Assert.Single(_sink.Records);
        Assert.Equal(FlowEndReason.EndOfFlow, record.EndReason);
        Assert.Equal(("10.0.0.9", 40000, "10.0.0.1", 80), (record.Source.ToString(), record.SourcePort, record.Destination.ToString(), record.DestinationPort));
        Assert.Equal(IpProtocol.Tcp, record.Protocol);
        Assert.Equal(InitiatorEvidence.Syn, record.Evidence);
        Assert.Equal(1 * Second, record.StartNanoseconds);
        Assert.Equal(3 * Second, record.EndNanoseconds);
        Assert.Equal(new FlowCounts(74 + 200 + 66 - (3 * 14), 74 + 200 + 66, 3, (byte)(Syn | Ack | Psh | Fin)), record.Forward);
        Assert.Equal(new FlowCounts(74 + 66 - (2 * 14), 74 + 66, 2, (byte)(Syn | Ack | Fin)), record.Reverse);
    }

    [Fact]
    public void A_long_connection_sends_active_timeout_records_whose_deltas_add_up_to_its_totals()
    {
        var tracker = Tracker(active: TimeSpan.FromSeconds(3));
        for (var second = 0; second < 10; second++)
        {
            Observe(tracker, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 100 + second, (second + 1) * Second);
            Observe(tracker, Packets.Udp("10.0.0.1", 53, "10.0.0.9", 5000), 200, ((second + 1) * Second) + 500_000);
        }

        tracker.EmitOpenRecords();
        Assert.Equal(
            [FlowEndReason.ActiveTimeout, FlowEndReason.ActiveTimeout, FlowEndReason.ActiveTimeout, FlowEndReason.ForcedEnd],
            _sink.Records.Select(r => r.EndReason));

        // Each record starts where the previous ended (no packet counted twice or lost), 3 s of packets each.
        Assert.Equal([1 * Second, 4 * Second, 7 * Second, 10 * Second], _sink.Records.Select(r => r.StartNanoseconds));
        Assert.Equal((ulong)Enumerable.Range(0, 10).Sum(s => 100 + s), (ulong)_sink.Records.Sum(r => (long)r.Forward.Layer2Octets));
        Assert.Equal(10UL, (ulong)_sink.Records.Sum(r => (long)r.Forward.Packets));
        Assert.Equal(2000UL, (ulong)_sink.Records.Sum(r => (long)r.Reverse.Layer2Octets));
        Assert.Equal(10UL, (ulong)_sink.Records.Sum(r => (long)r.Reverse.Packets));

        // Forced end does not close the connection: it goes on counting from zero.
        tracker.EmitOpenRecords();
        Assert.Equal(4, _sink.Records.Count);
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void Idle_timeout_and_eviction_map_to_their_flow_end_reasons()
    {
        var tracker = Tracker(max: 1);
        Observe(tracker, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 100, 1 * Second);
        Observe(tracker, Packets.Udp("10.0.0.9", 5001, "10.0.0.1", 53), 100, 10 * Second); // table full: evicts the first
        tracker.Advance(100 * Second);
        Assert.Equal([FlowEndReason.LackOfResources, FlowEndReason.IdleTimeout], _sink.Records.Select(r => r.EndReason));
        Assert.Equal([(ushort)5000, (ushort)5001], _sink.Records.Select(r => r.SourcePort));
    }

    [Fact]
    public void A_table_without_flow_records_emits_nothing_and_holds_no_side_array()
    {
        var tracker = new ConnectionTracker(new ConnectionTrackerOptions { MaxConnections = 10 }, new ConnectionSeries(_series));
        var before = tracker.ApproximateBytes();
        Observe(tracker, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 100, 1 * Second);
        tracker.EmitOpenRecords();
        Assert.Equal(before, tracker.ApproximateBytes());
    }

    [Fact]
    public void The_side_array_costs_80_bytes_per_connection_only_when_records_are_on() =>
        Assert.Equal(80, FlowRecorder.BytesPerConnection);

    public static TheoryData<string> Captures() => new(Fixtures.AllPcaps());

    /// <summary>Every shared capture: per connection, the records' frame bytes and packets equal the series' counters.</summary>
    [Theory]
    [MemberData(nameof(Captures))]
    public void Records_of_every_capture_add_up_to_the_connection_series(string capture)
    {
        var series = new ConnectionSeriesStore(100_000);
        var sink = new CollectingSink();
        var tracker = new ConnectionTracker(new ConnectionTrackerOptions(), new ConnectionSeries(series), null, new FlowRecorder(sink, TimeSpan.FromSeconds(1), 100_000));
        var pipeline = new CapturePipeline(new FrameDecoder(DecoderOptions.Default), tracker, new FragmentTracker(1024, TimeSpan.FromSeconds(30)));
        using (var stream = File.OpenRead(Fixtures.Pcap(capture)))
        {
            pipeline.ProcessAll(FlowExporter.Correlator.CaptureFiles.CaptureFileReader.Open(stream));
        }

        tracker.EmitOpenRecords();
        tracker.FlushCounters();
        var buffer = Array.Empty<SeriesSample>();
        var count = series.Snapshot(ref buffer);
        var expected = buffer[..count]
            .GroupBy(s => (s.Key.Interface, s.Key.Protocol, s.Key.Initiator, s.Key.InitiatorPort, s.Key.Target, s.Key.TargetPort))
            .ToDictionary(g => g.Key, g => (g.Sum(s => (long)s.Counters.ForwardBytes), g.Sum(s => (long)s.Counters.ForwardPackets), g.Sum(s => (long)s.Counters.BackwardBytes), g.Sum(s => (long)s.Counters.BackwardPackets)));
        var actual = sink.Records
            .GroupBy(r => (r.Interface, r.Protocol, r.Source, r.SourcePort, r.Destination, r.DestinationPort))
            .ToDictionary(g => g.Key, g => (g.Sum(r => (long)r.Forward.Layer2Octets), g.Sum(r => (long)r.Forward.Packets), g.Sum(r => (long)r.Reverse.Layer2Octets), g.Sum(r => (long)r.Reverse.Packets)));
        Assert.Equal(expected.OrderBy(e => e.Key.ToString()), actual.OrderBy(e => e.Key.ToString()));
        Assert.All(sink.Records, r => Assert.True(r.Forward.IpOctets <= r.Forward.Layer2Octets && r.Reverse.IpOctets <= r.Reverse.Layer2Octets, r.ToString()));
    }
}
