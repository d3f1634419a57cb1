using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Tests.Support;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Connections;

/// <summary>
/// A connection seen at several capture points (<c>connections.count_at</c>): counted once per node at the first point
/// that delivered it, the other points' share in their duplicate counters; or, at every point, a series per point.
/// Each fixture is fed twice, as if captured at two points (the second a little later), interleaved by timestamp.
/// </summary>
public sealed class CountAtTests
{
    private const long Second = 1_000_000_000;

    /// <summary>Where the second copy of a file's interface is captured: its id plus this.</summary>
    private const ushort SecondPoint = 100;

    public static TheoryData<string, long> CapturesAndDelays()
    {
        var data = new TheoryData<string, long>();
        foreach (var capture in Fixtures.AllPcaps())
        {
            data.Add(capture, 0);
            data.Add(capture, 20_000); // the second point sees each frame 20 µs later
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CapturesAndDelays))]
    public void Counted_once_per_node_a_file_seen_at_two_points_gives_the_series_of_one(string capture, long delay)
    {
        var frames = Load(capture);
        var single = Replay(CountAt.Node, Feed(frames, SecondPointDelay: null));
        var twice = Replay(CountAt.Node, Feed(frames, delay));

        Assert.Equal(Series(single), Series(twice));
        Assert.Equal(QualityOf(single), QualityOf(twice));
        Assert.Equal(single.Lifecycle, twice.Lifecycle);
        Assert.Equal(single.TrackedConnections, twice.TrackedConnections);
        Assert.Equal((single.SeriesCount, single.SeriesMergedConnections), (twice.SeriesCount, twice.SeriesMergedConnections));

        // Everything the second point saw is a duplicate of what the first counted: per interface of the file, the
        // single feed's counted packets and bytes (all of them exported: the caps are not reached here).
        Assert.Equal(0L, single.SeriesRejectedConnections);
        foreach (var group in single.Samples.ToArray().GroupBy(s => s.Key.Interface))
        {
            var packets = group.Sum(s => (long)(s.Counters.ForwardPackets + s.Counters.BackwardPackets));
            var bytes = group.Sum(s => (long)(s.Counters.ForwardBytes + s.Counters.BackwardBytes));
            var duplicates = twice.Duplicates[group.Key + SecondPoint];
            Assert.Equal((packets, bytes), (duplicates.Packets, duplicates.Bytes));
        }

        Assert.All(twice.Duplicates.Take(SecondPoint), d => Assert.Equal((0L, 0L), (d.Packets, d.Bytes)));
    }

    [Theory]
    [MemberData(nameof(CapturesAndDelays))]
    public void Counted_at_every_point_a_file_seen_at_two_points_gives_the_series_of_each(string capture, long delay)
    {
        var frames = Load(capture);
        var first = Replay(CountAt.EveryPoint, Feed(frames, SecondPointDelay: null));
        var second = Replay(CountAt.EveryPoint, Feed(frames, delay, firstPoint: false));
        var twice = Replay(CountAt.EveryPoint, Feed(frames, delay));

        Assert.Equal(Series(first).Concat(Series(second)).Order(StringComparer.Ordinal), Series(twice).Order(StringComparer.Ordinal));
        Assert.Equal(QualityOf(first).Concat(QualityOf(second)).Order(StringComparer.Ordinal), QualityOf(twice).Order(StringComparer.Ordinal));
        Assert.Equal(first.Lifecycle.Concat(second.Lifecycle).OrderBy(l => l.Interface).ThenBy(l => l.Protocol), twice.Lifecycle);
        Assert.Equal(first.TrackedConnections + second.TrackedConnections, twice.TrackedConnections);
        Assert.All(twice.Duplicates, d => Assert.Equal((0L, 0L), (d.Packets, d.Bytes)));
    }

    [Fact]
    public void Counted_once_per_node_the_first_point_to_deliver_owns_the_connection_and_its_lifecycle()
    {
        var table = new CountAtTable(CountAt.Node);
        table.Frame(2, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        table.Frame(1, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        table.Frame(1, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second);
        table.Frame(2, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second);

        var series = Assert.Single(table.Snapshot());
        Assert.Equal((ushort)2, series.Key.Interface);
        Assert.Equal((148UL, 2UL), (series.Counters.ForwardBytes + series.Counters.BackwardBytes, series.Counters.ForwardPackets + series.Counters.BackwardPackets));
        var lifecycle = Assert.Single(table.Tracker.Lifecycle);
        Assert.Equal(((ushort)2, 1L), (lifecycle.Interface, lifecycle.Opened));
        Assert.Equal((2L, 148L), (table.Tracker.Duplicates[1].Packets, table.Tracker.Duplicates[1].Bytes));
        Assert.Equal(1, table.Tracker.Count);
    }

    [Fact]
    public void Counted_once_per_node_packets_at_another_point_keep_the_connection_alive()
    {
        var table = new CountAtTable(CountAt.Node);
        table.Frame(1, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 1 * Second);
        table.Frame(2, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 50 * Second); // the owner missed this one
        table.Tracker.Advance(100 * Second);

        Assert.Equal(1, table.Tracker.Count);
        table.Tracker.Advance(111 * Second);
        Assert.Equal(0, table.Tracker.Count);
        Assert.Equal(1L, Assert.Single(table.Tracker.Lifecycle).Closed(CloseReason.Timeout));
    }

    /// <summary>
    /// A SYN at another point on a connection that ended is a late copy of its own SYN (the RST that ended it may reach
    /// the table first): only the owner's SYN restarts the tuple while it lingers; after that, any point opens it.
    /// </summary>
    [Fact]
    public void Counted_once_per_node_only_the_owner_restarts_an_ended_connection_while_it_lingers()
    {
        var table = new CountAtTable(CountAt.Node);
        table.Frame(1, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        table.Frame(1, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Rst | Ack), 54, 1 * Second);
        table.Frame(2, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        table.Frame(2, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Rst | Ack), 54, 1 * Second);
        Assert.Equal([(1, 1L)], table.Tracker.Lifecycle.Select(l => ((int)l.Interface, l.Opened)));
        Assert.Equal((2L, 128L), (table.Tracker.Duplicates[2].Packets, table.Tracker.Duplicates[2].Bytes));

        table.Frame(1, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 2 * Second);
        table.Frame(1, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Rst | Ack), 54, 2 * Second);
        Assert.Equal([(1, 2L)], table.Tracker.Lifecycle.Select(l => ((int)l.Interface, l.Opened)));

        table.Frame(2, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 10 * Second);
        Assert.Equal([(1, 2L), (2, 1L)], table.Tracker.Lifecycle.Select(l => ((int)l.Interface, l.Opened)).Order());
        Assert.Equal(2L, table.Tracker.Lifecycle.Single(l => l.Interface == 1).Closed(CloseReason.Rst));
        Assert.Equal([(1, 256UL), (2, 74UL)], table.Snapshot().Select(s => ((int)s.Key.Interface, s.Counters.ForwardBytes + s.Counters.BackwardBytes)).Order());
    }

    [Fact]
    public void Counted_once_per_node_an_unreachable_at_another_point_fails_the_attempt_the_owner_counts()
    {
        var table = new CountAtTable(CountAt.Node, quality: true);
        table.Frame(1, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 1 * Second);
        table.Frame(2, Packets.Icmp("10.0.0.1", "10.0.0.9") with
        {
            QuotedProtocol = IpProtocol.Udp,
            QuotedSource = Correlator.Net.IpAddress.Parse("10.0.0.9"),
            QuotedSourcePort = 5000,
            QuotedDestination = Correlator.Net.IpAddress.Parse("10.0.0.1"),
            QuotedDestinationPort = 53,
        }, 70, 1 * Second);
        table.Tracker.Advance(100 * Second);

        var attempts = Assert.Single(table.QualitySnapshot(), q => q.Key.Protocol == IpProtocol.Udp);
        Assert.Equal((ushort)1, attempts.Key.Interface);
        Assert.Equal(1UL, attempts.Count(QualityCellCounts.FirstAttempt + (int)AttemptResult.Unreachable));
    }

    [Theory]
    [InlineData(CountAt.Node)]
    [InlineData(CountAt.EveryPoint)]
    public void Observations_from_two_points_are_keyed_as_frames_are(CountAt countAt)
    {
        var frames = new CountAtTable(countAt);
        var observations = new CountAtTable(countAt);
        foreach (var point in new ushort[] { 1, 2 })
        {
            frames.Frame(point, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        }

        foreach (var point in new ushort[] { 1, 2 })
        {
            frames.Frame(point, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second);
        }

        foreach (var point in new ushort[] { 1, 2 })
        {
            frames.Frame(point, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack | Psh), 1000, 2 * Second);
        }

        foreach (var point in new ushort[] { 1, 2 })
        {
            var key = ConnectionKey.Of(point, IpProtocol.Tcp, Correlator.Net.IpAddress.Parse("10.0.0.9"), 40000, Correlator.Net.IpAddress.Parse("10.0.0.1"), 80, out var clientIsA);
            Assert.True(observations.Tracker.Observe(new ConnectionObservation(key, clientIsA, Syn, 1 * Second, 2 * Second)
            {
                BytesFromA = clientIsA ? 1074UL : 74,
                PacketsFromA = clientIsA ? 2UL : 1,
                BytesFromB = clientIsA ? 74UL : 1074,
                PacketsFromB = clientIsA ? 1UL : 2,
                FlagsFromA = clientIsA ? Syn | Ack | Psh : Syn | Ack,
                FlagsFromB = clientIsA ? Syn | Ack : Syn | Ack | Psh,
            }));
        }

        Assert.Equal(frames.Snapshot(), observations.Snapshot());
        Assert.Equal(frames.Lifecycle(), observations.Lifecycle());
        Assert.Equal(countAt == CountAt.Node ? 1 : 2, observations.Tracker.Count);
        var duplicates = observations.Tracker.Duplicates.Select(d => (d.Packets, d.Bytes)).ToArray();
        Assert.Equal(frames.Tracker.Duplicates.Select(d => (d.Packets, d.Bytes)), duplicates);
        Assert.Equal(countAt == CountAt.Node ? (3L, 1148L) : (0L, 0L), duplicates.ElementAtOrDefault(2));
    }

    /// <summary>The frames of a file: its frames are spans over the reader's buffer, so each is copied.</summary>
    private static StoredFrame[] Load(string capture)
    {
        using var stream = File.OpenRead(Fixtures.Pcap(capture));
        var reader = CaptureFileReader.Open(stream);
        var frames = new List<StoredFrame>();
        while (reader.TryReadNext(out var frame))
        {
            frames.Add(new StoredFrame((ushort)Math.Min(frame.InterfaceId, SecondPoint - 1), frame.LinkType, frame.TimestampNanoseconds, frame.WireLength, frame.Data.ToArray()));
        }

        return [.. frames];
    }

    /// <summary>
    /// The file at the first points (the file's own interface ids) and, unless <paramref name="SecondPointDelay"/> is
    /// null, again at the second points (id + <see cref="SecondPoint"/>) that many ns later; merged by timestamp, the
    /// first point first on a tie. <paramref name="firstPoint"/> false: only the second points.
    /// </summary>
    private static IEnumerable<StoredFrame> Feed(StoredFrame[] frames, long? SecondPointDelay, bool firstPoint = true)
    {
        var first = firstPoint ? frames : [];
        var second = SecondPointDelay is { } delay
            ? frames.Select(f => f with { Point = (ushort)(f.Point + SecondPoint), Timestamp = f.Timestamp + delay }).ToArray()
            : [];

        // A stable merge by timestamp (each file is already in its capture order, which may step back in time).
        int i = 0, j = 0;
        while (i < first.Length || j < second.Length)
        {
            if (j >= second.Length || (i < first.Length && first[i].Timestamp <= second[j].Timestamp))
            {
                yield return first[i++];
            }
            else
            {
                yield return second[j++];
            }
        }
    }

    private static ConnectionSnapshot Replay(CountAt countAt, IEnumerable<StoredFrame> frames)
    {
        var engine = new CaptureEngine(new CaptureEngineOptions
        {
            Connections = new ConnectionTrackerOptions { CountAt = countAt },
            Quality = new QualityOptions { Aggregation = AggregationLevel.Connection },
            MaxFragments = 1024,
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
        return snapshot;
    }

    private static string[] Series(ConnectionSnapshot snapshot) => [.. snapshot.Samples.ToArray().Select(s => s.ToString())];

    private static string[] QualityOf(ConnectionSnapshot snapshot) =>
        [.. snapshot.Quality.ToArray().Select(q => $"{q.Key} {q.HandshakeSumNanoseconds} {string.Join(',', Enumerable.Range(0, QualityCellCounts.Count).Select(q.Count))}")];

    private sealed record StoredFrame(ushort Point, int LinkType, long Timestamp, int WireLength, byte[] Data);
}
