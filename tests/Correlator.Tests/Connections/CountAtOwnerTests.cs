using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Tests.Ipfix;
using FlowExporter.Correlator.Tests.Support;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Connections;

/// <summary>
/// Counted once per node, a connection belongs to the point that captured its first packet earliest, whatever order the
/// points' capture threads deliver their packets in. Each fixture is captured at its own points (A) and again at a
/// second point (B) a few µs later; B's packets reach the table first, by a few frames up to its whole stream: the
/// exposition is the one of A alone, and B's share is all in its duplicate counters, as when they arrive in time order.
/// </summary>
public sealed class CountAtOwnerTests
{
    private const long Second = 1_000_000_000;
    private const long Microsecond = 1_000;
    private const long Millisecond = 1_000_000;

    /// <summary>Where the second copy of a file's interface is captured: its id plus this.</summary>
    private const ushort SecondPoint = 100;

    /// <summary>B captures each frame this much after A: A is where the frames entered the node.</summary>
    private const long Delay = 5 * Microsecond;

    /// <summary>How far one point's thread may run ahead of the other's in a random interleaving.</summary>
    private const long MaxLead = 10 * Millisecond;

    /// <summary>How far ahead of A's thread B's runs, in capture time (long.MaxValue: B's whole stream first).</summary>
    public static TheoryData<string, long> CapturesAndLeads()
    {
        var data = new TheoryData<string, long>();
        foreach (var capture in Fixtures.AllPcaps())
        {
            foreach (var lead in new[] { Microsecond, Millisecond, 100 * Millisecond, long.MaxValue })
            {
                data.Add(capture, lead);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CapturesAndLeads))]
    public void The_point_that_captured_first_owns_the_connection_whichever_point_delivers_first(string capture, long lead)
    {
        var frames = Load(capture);
        if (lead == long.MaxValue && Span(frames) >= 5 * Second)
        {
            // B's whole stream first moves the table's time past timeouts (idle, SYN) before A's first frame arrives,
            // and the table expires by the time it has seen: a capture thread never runs that far ahead of another (it
            // delivers a batch at a time). Those files are fed with B 100 ms ahead instead.
            lead = 100 * Millisecond;
        }

        var alone = Replay(frames.Select(f => f.Frame));
        var inTimeOrder = Replay(Merge(frames));
        var bFirst = Replay(SecondPointLeads(frames, lead));

        Assert.Equal(Series(alone.Snapshot), Series(bFirst.Snapshot));
        Assert.Equal(QualityOf(alone.Snapshot), QualityOf(bFirst.Snapshot));
        Assert.Equal(alone.Snapshot.Lifecycle, bFirst.Snapshot.Lifecycle);
        Assert.Equal(alone.Snapshot.TrackedConnections, bFirst.Snapshot.TrackedConnections);
        Assert.Equal((alone.Snapshot.SeriesCount, alone.Snapshot.SeriesMergedConnections), (bFirst.Snapshot.SeriesCount, bFirst.Snapshot.SeriesMergedConnections));
        Assert.Equal(Duplicates(inTimeOrder.Snapshot), Duplicates(bFirst.Snapshot));
        Assert.Equal(Records(alone.Records), Records(bFirst.Records));
    }

    public static TheoryData<string, int> CapturesAndSeeds()
    {
        var data = new TheoryData<string, int>();
        foreach (var capture in Fixtures.AllPcaps())
        {
            foreach (var seed in new[] { 1, 2, 3, 4 })
            {
                data.Add(capture, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CapturesAndSeeds))]
    public void Any_interleaving_of_two_points_gives_the_exposition_of_the_point_that_captured_first(string capture, int seed)
    {
        var frames = Load(capture);
        var alone = Replay(frames.Select(f => f.Frame));
        var inTimeOrder = Replay(Merge(frames));
        var shuffled = Replay(Shuffle(frames, new Random(seed)));

        Assert.Equal(Series(alone.Snapshot), Series(shuffled.Snapshot));
        Assert.Equal(QualityOf(alone.Snapshot), QualityOf(shuffled.Snapshot));
        Assert.Equal(alone.Snapshot.Lifecycle, shuffled.Snapshot.Lifecycle);
        Assert.Equal(Duplicates(inTimeOrder.Snapshot), Duplicates(shuffled.Snapshot));
        Assert.Equal(Records(alone.Records), Records(shuffled.Records));
    }

    [Fact]
    public void A_connection_moves_to_the_point_whose_packet_was_captured_earlier_and_is_counted_again_from_there()
    {
        var table = new CountAtTable(CountAt.Node);
        table.Frame(2, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, (1 * Second) + 5);
        table.Frame(2, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, (1 * Second) + 100);
        table.Frame(2, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, (1 * Second) + 205);
        table.Frame(1, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        table.Frame(1, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, (1 * Second) + 105);
        table.Frame(1, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, (1 * Second) + 200);

        var series = Assert.Single(table.Snapshot());
        Assert.Equal((ushort)1, series.Key.Interface);
        Assert.Equal((214UL, 3UL), (series.Counters.ForwardBytes + series.Counters.BackwardBytes, series.Counters.ForwardPackets + series.Counters.BackwardPackets));
        var lifecycle = Assert.Single(table.Tracker.Lifecycle);
        Assert.Equal(((ushort)1, 1L, 1L), (lifecycle.Interface, lifecycle.Opened, lifecycle.Active));
        Assert.Equal((3L, 214L), (table.Tracker.Duplicates[2].Packets, table.Tracker.Duplicates[2].Bytes));
        Assert.Equal(1, table.Tracker.Count);
    }

    /// <summary>Two points that capture a packet in the same instant: the first to deliver it keeps it (nothing tells them apart).</summary>
    [Fact]
    public void On_equal_capture_times_the_point_that_delivered_first_keeps_the_connection()
    {
        var table = new CountAtTable(CountAt.Node);
        table.Frame(2, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 1 * Second);
        table.Frame(1, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 1 * Second);

        Assert.Equal((ushort)2, Assert.Single(table.Snapshot()).Key.Interface);
        Assert.Equal((1L, 80L), (table.Tracker.Duplicates[1].Packets, table.Tracker.Duplicates[1].Bytes));
    }

    /// <summary>
    /// A scrape that showed the old owner's series before the earlier point's packets arrived: what it showed stays
    /// (a counter never goes back), the connection counts at the new owner from its first packet, and the old series
    /// leaves after one more scrape. The node's sum counts what was shown twice: the documented rare case.
    /// </summary>
    [Fact]
    public void A_move_after_a_scrape_keeps_what_the_scrape_showed()
    {
        var table = new CountAtTable(CountAt.Node);
        table.Frame(2, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, (1 * Second) + 5);
        Assert.Equal([(2, 80UL)], table.Snapshot().Select(s => ((int)s.Key.Interface, s.Counters.ForwardBytes)));
        Assert.Equal([(2, 1L)], table.Lifecycle().Select(l => ((int)l.Interface, l.Opened)));

        table.Frame(1, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 1 * Second);
        table.Frame(1, Packets.Udp("10.0.0.1", 53, "10.0.0.9", 5000), 90, (1 * Second) + 50);

        Assert.Equal([(1, 80UL, 90UL), (2, 80UL, 0UL)], table.Snapshot().Select(s => ((int)s.Key.Interface, s.Counters.ForwardBytes, s.Counters.BackwardBytes)).Order());
        Assert.Equal([(1, 80UL, 90UL)], table.Snapshot().Select(s => ((int)s.Key.Interface, s.Counters.ForwardBytes, s.Counters.BackwardBytes)));
        Assert.Equal([(1, 1L, 1L), (2, 1L, 0L)], table.Lifecycle().Select(l => ((int)l.Interface, l.Opened, l.Active)));
    }

    /// <summary>The eBPF path: each report carries the kernel's first-seen time of the connection at its point.</summary>
    [Fact]
    public void Observations_move_to_the_point_whose_first_seen_is_earlier()
    {
        var alone = new CountAtTable(CountAt.Node);
        var twice = new CountAtTable(CountAt.Node);
        Assert.True(alone.Tracker.Observe(Observation(1, firstSeen: 1 * Second)));
        Assert.True(twice.Tracker.Observe(Observation(2, firstSeen: (1 * Second) + Delay)));
        Assert.True(twice.Tracker.Observe(Observation(1, firstSeen: 1 * Second)));
        Assert.True(twice.Tracker.Observe(Observation(2, firstSeen: (1 * Second) + Delay)));

        Assert.Equal(alone.Snapshot(), twice.Snapshot());
        Assert.Equal(alone.Lifecycle(), twice.Lifecycle());
        Assert.Equal((6L, 2296L), (twice.Tracker.Duplicates[2].Packets, twice.Tracker.Duplicates[2].Bytes));
    }

    private static ConnectionObservation Observation(ushort point, long firstSeen)
    {
        var key = ConnectionKey.Of(point, Correlator.Decoding.IpProtocol.Tcp, Correlator.Net.IpAddress.Parse("10.0.0.9"), 40000, Correlator.Net.IpAddress.Parse("10.0.0.1"), 80, out var clientIsA);
        return new ConnectionObservation(key, clientIsA, Syn, firstSeen, firstSeen + (1 * Second))
        {
            BytesFromA = clientIsA ? 1074UL : 74,
            PacketsFromA = clientIsA ? 2UL : 1,
            BytesFromB = clientIsA ? 74UL : 1074,
            PacketsFromB = clientIsA ? 1UL : 2,
            FlagsFromA = clientIsA ? Syn | Ack | Psh : Syn | Ack,
            FlagsFromB = clientIsA ? Syn | Ack : Syn | Ack | Psh,
        };
    }

    /// <summary>Each frame of a file with its copy at the second point, <see cref="Delay"/> later.</summary>
    private static (StoredFrame Frame, StoredFrame Copy)[] Load(string capture)
    {
        using var stream = File.OpenRead(Fixtures.Pcap(capture));
        var reader = CaptureFileReader.Open(stream);
        var frames = new List<(StoredFrame, StoredFrame)>();
        while (reader.TryReadNext(out var frame))
        {
            var stored = new StoredFrame((ushort)Math.Min(frame.InterfaceId, SecondPoint - 1), frame.LinkType, frame.TimestampNanoseconds, frame.WireLength, frame.Data.ToArray());
            frames.Add((stored, stored with { Point = (ushort)(stored.Point + SecondPoint), Timestamp = stored.Timestamp + Delay }));
        }

        return [.. frames];
    }

    private static long Span((StoredFrame Frame, StoredFrame Copy)[] frames) =>
        frames.Length == 0 ? 0 : frames.Max(f => f.Copy.Timestamp) - frames.Min(f => f.Frame.Timestamp);

    /// <summary>Both points by capture time (a stable merge: each file is in capture order, which may step back).</summary>
    private static IEnumerable<StoredFrame> Merge((StoredFrame Frame, StoredFrame Copy)[] frames)
    {
        int i = 0, j = 0;
        while (i < frames.Length || j < frames.Length)
        {
            if (j >= frames.Length || (i < frames.Length && frames[i].Frame.Timestamp <= frames[j].Copy.Timestamp))
            {
                yield return frames[i++].Frame;
            }
            else
            {
                yield return frames[j++].Copy;
            }
        }
    }

    /// <summary>
    /// B's thread runs <paramref name="lead"/> ahead of A's in capture time: before A's frame, B delivers every frame it
    /// captured up to that long after it.
    /// </summary>
    private static IEnumerable<StoredFrame> SecondPointLeads((StoredFrame Frame, StoredFrame Copy)[] frames, long lead)
    {
        var next = 0;
        for (var i = 0; i < frames.Length; i++)
        {
            var until = lead == long.MaxValue ? long.MaxValue : frames[i].Frame.Timestamp + lead;
            for (; next < frames.Length && (next <= i || frames[next].Copy.Timestamp <= until); next++)
            {
                yield return frames[next].Copy;
            }

            yield return frames[i].Frame;
        }
    }

    /// <summary>
    /// A random interleaving that keeps each point's own order, neither point's thread more than
    /// <see cref="MaxLead"/> ahead of the other in capture time (a thread delivers a batch at a time).
    /// </summary>
    private static IEnumerable<StoredFrame> Shuffle((StoredFrame Frame, StoredFrame Copy)[] frames, Random random)
    {
        int i = 0, j = 0;
        while (i < frames.Length || j < frames.Length)
        {
            var aMayGo = i < frames.Length && (j >= frames.Length || frames[i].Frame.Timestamp - frames[j].Copy.Timestamp <= MaxLead);
            var bMayGo = j < frames.Length && (i >= frames.Length || frames[j].Copy.Timestamp - frames[i].Frame.Timestamp <= MaxLead);
            if (aMayGo && (!bMayGo || random.Next(2) == 0))
            {
                yield return frames[i++].Frame;
            }
            else
            {
                yield return frames[j++].Copy;
            }
        }
    }

    private static (ConnectionSnapshot Snapshot, List<FlowRecord> Records) Replay(IEnumerable<StoredFrame> frames)
    {
        var records = new CollectingSink();
        var engine = new CaptureEngine(new CaptureEngineOptions
        {
            Connections = new ConnectionTrackerOptions { CountAt = CountAt.Node },
            Quality = new QualityOptions { Aggregation = AggregationLevel.Connection },
            MaxFragments = 1024,
            FlowRecords = records,
        });
        engine.Batch(frames, all =>
        {
            foreach (var f in all)
            {
                engine.Pipeline.Process(f.Point, new CapturedFrame(f.Point, f.LinkType, f.Timestamp, f.WireLength, f.Data));
            }

            return 0;
        });
        var snapshot = new ConnectionSnapshot();
        engine.Snapshot(snapshot, advanceToNanoseconds: null);
        engine.EmitOpenRecords();
        return (snapshot, records.Records);
    }

    private static string[] Series(ConnectionSnapshot snapshot) => [.. snapshot.Samples.ToArray().Select(s => s.ToString())];

    private static string[] QualityOf(ConnectionSnapshot snapshot) =>
        [.. snapshot.Quality.ToArray().Select(q => $"{q.Key} {q.HandshakeSumNanoseconds} {string.Join(',', Enumerable.Range(0, QualityCellCounts.Count).Select(q.Count))}")];

    private static (long Packets, long Bytes)[] Duplicates(ConnectionSnapshot snapshot) => [.. snapshot.Duplicates.Select(d => (d.Packets, d.Bytes))];

    /// <summary>What each record counted (its times are the table's, which depends on the delivery order).</summary>
    private static string[] Records(List<FlowRecord> records) =>
        [.. records.Select(r => $"{r.Interface} {r.Protocol} {r.Source}:{r.SourcePort} {r.Destination}:{r.DestinationPort} {r.Forward} {r.Reverse} {r.VlanId}").Order(StringComparer.Ordinal)];

    private sealed record StoredFrame(ushort Point, int LinkType, long Timestamp, int WireLength, byte[] Data);
}
