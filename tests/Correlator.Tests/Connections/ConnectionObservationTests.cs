using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Connections;

/// <summary>
/// Another engine's counts (<see cref="ConnectionObservation"/>) go through the same table as frames: the same
/// connections, initiators, series, lifecycle counters and quality attempts as the equivalent frames.
/// </summary>
public sealed class ConnectionObservationTests
{
    private const long Second = 1_000_000_000;

    public static TheoryData<string> Captures() => new(Fixtures.AllPcaps());

    /// <summary>Every frame of every fixture, once as a frame and once as a one-packet observation: identical tables.</summary>
    [Theory]
    [MemberData(nameof(Captures))]
    public void One_observation_per_frame_gives_exactly_the_series_of_the_frames(string capture)
    {
        var frames = new Table();
        var observations = new Table();
        var decoder = new FrameDecoder(DecoderOptions.Default);
        var fragments = new FragmentTracker(1024, TimeSpan.FromSeconds(30));
        var packet = default(DecodedPacket);
        using var stream = File.OpenRead(Fixtures.Pcap(capture));
        var reader = CaptureFileReader.Open(stream);
        while (reader.TryReadNext(out var frame))
        {
            var time = frame.TimestampNanoseconds;
            var captureInterface = (ushort)Math.Min(frame.InterfaceId, ushort.MaxValue);
            if (decoder.Decode(frame.LinkType, frame.Data, ref packet) != DecodeResult.Ip
                || !FragmentPorts.Resolve(fragments, packet, time, out var sourcePort, out var destinationPort))
            {
                frames.Tracker.Advance(time);
                observations.Tracker.Advance(time);
                continue;
            }

            var key = ConnectionKey.From(captureInterface, packet, sourcePort, destinationPort, out var sourceIsA);
            var flags = packet.Protocol == IpProtocol.Tcp ? packet.TcpFlags : None;
            var wire = (ulong)frame.WireLength;
            Assert.Equal(
                frames.Tracker.Observe(captureInterface, packet, sourcePort, destinationPort, frame.WireLength, time),
                observations.Tracker.Observe(new ConnectionObservation(key, sourceIsA, flags, time, time)
                {
                    BytesFromA = sourceIsA ? wire : 0,
                    PacketsFromA = sourceIsA ? 1UL : 0,
                    BytesFromB = sourceIsA ? 0 : wire,
                    PacketsFromB = sourceIsA ? 0 : 1UL,
                    FlagsFromA = sourceIsA ? flags : None,
                    FlagsFromB = sourceIsA ? None : flags,
                }));
        }

        frames.AssertSameAs(observations);
        frames.Tracker.Advance(frames.Tracker.Now + (3600 * Second));
        observations.Tracker.Advance(observations.Tracker.Now + (3600 * Second));
        frames.AssertSameAs(observations);
    }

    /// <summary>A whole connection reported at once (an eBPF sweep, a flow record) counts as its packets would.</summary>
    [Fact]
    public void A_connection_reported_in_one_observation_counts_as_its_frames()
    {
        var frames = new Table();
        Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        Frame(frames, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second);
        Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, 1 * Second);
        Frame(frames, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Ack | Psh), 1514, 2 * Second);
        Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Fin | Ack), 66, 3 * Second);
        Frame(frames, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Fin | Ack), 66, 3 * Second);
        Frame(frames, Packets.Udp("10.0.0.9", 5353, "10.0.0.2", 53), 80, 4 * Second);
        Frame(frames, Packets.Udp("10.0.0.2", 53, "10.0.0.9", 5353), 120, 4 * Second);
        Frame(frames, Packets.Tcp("10.0.0.3", 6379, "10.0.0.9", 51000, Ack | Psh), 100, 5 * Second);

        var observations = new Table();
        var tcp = Key(IpProtocol.Tcp, "10.0.0.9", 40000, "10.0.0.1", 80, out var clientIsA);
        Assert.True(observations.Tracker.Observe(new ConnectionObservation(tcp, clientIsA, Syn, 1 * Second, 3 * Second)
        {
            BytesFromA = clientIsA ? 206UL : 1654,
            PacketsFromA = 3,
            BytesFromB = clientIsA ? 1654UL : 206,
            PacketsFromB = 3,
            FlagsFromA = clientIsA ? Syn | Ack | Fin : Syn | Ack | Psh | Fin,
            FlagsFromB = clientIsA ? Syn | Ack | Psh | Fin : Syn | Ack | Fin,
        }));
        var udp = Key(IpProtocol.Udp, "10.0.0.9", 5353, "10.0.0.2", 53, out clientIsA);
        Assert.True(observations.Tracker.Observe(new ConnectionObservation(udp, clientIsA, None, 4 * Second, 4 * Second)
        {
            BytesFromA = clientIsA ? 80UL : 120,
            PacketsFromA = 1,
            BytesFromB = clientIsA ? 120UL : 80,
            PacketsFromB = 1,
        }));
        var midStream = Key(IpProtocol.Tcp, "10.0.0.3", 6379, "10.0.0.9", 51000, out var serverIsA);
        Assert.True(observations.Tracker.Observe(new ConnectionObservation(midStream, serverIsA, Ack | Psh, 5 * Second, 5 * Second)
        {
            BytesFromA = serverIsA ? 100UL : 0,
            PacketsFromA = serverIsA ? 1UL : 0,
            BytesFromB = serverIsA ? 0 : 100UL,
            PacketsFromB = serverIsA ? 0 : 1UL,
            FlagsFromA = serverIsA ? Ack | Psh : None,
            FlagsFromB = serverIsA ? None : Ack | Psh,
        }));

        frames.AssertSameAs(observations);
        var lifecycle = Assert.Single(observations.Tracker.Lifecycle, l => l.Protocol == IpProtocol.Tcp);
        Assert.Equal((2L, 2L, 0L), (lifecycle.Opened, lifecycle.Active, lifecycle.Closed(CloseReason.Fin)));
        frames.Tracker.Advance(100 * Second);
        observations.Tracker.Advance(100 * Second);
        frames.AssertSameAs(observations);
        Assert.Equal((0L, 1L, 1L), (lifecycle.Active, lifecycle.Closed(CloseReason.Fin), lifecycle.Closed(CloseReason.Timeout)));
    }

    [Fact]
    public void Observations_fill_the_table_and_are_dropped_as_frames_are()
    {
        var table = new Table(maxConnections: 1);
        var first = Key(IpProtocol.Udp, "10.0.0.9", 5000, "10.0.0.1", 53, out var isA);
        Assert.True(table.Tracker.Observe(new ConnectionObservation(first, isA, None, Second, Second) { PacketsFromA = 1, BytesFromA = 60 }));
        var second = Key(IpProtocol.Udp, "10.0.0.9", 5001, "10.0.0.1", 53, out isA);
        Assert.False(table.Tracker.Observe(new ConnectionObservation(second, isA, None, 2 * Second, 2 * Second) { PacketsFromA = 1, BytesFromA = 60 }));
        Assert.Equal(1L, Assert.Single(table.Tracker.Lifecycle).Dropped);
    }

    [Fact]
    public void Counts_past_32_bits_in_one_observation_reach_the_series_whole()
    {
        var table = new Table();
        var key = Key(IpProtocol.Tcp, "10.0.0.9", 40000, "10.0.0.1", 80, out var clientIsA);
        const ulong Big = (5UL << 32) + 7;
        table.Tracker.Observe(new ConnectionObservation(key, clientIsA, Ack, Second, Second)
        {
            BytesFromA = Big,
            PacketsFromA = 3,
            BytesFromB = uint.MaxValue,
            PacketsFromB = 2,
            FlagsFromA = Ack,
            FlagsFromB = Ack,
        });
        table.Tracker.Observe(new ConnectionObservation(key, clientIsA, Ack, 2 * Second, 2 * Second) { BytesFromA = 1, PacketsFromA = 1, BytesFromB = 1, PacketsFromB = 1 });

        var counters = Assert.Single(table.Snapshot()).Counters;
        var (fromA, fromB) = clientIsA ? (counters.ForwardBytes, counters.BackwardBytes) : (counters.BackwardBytes, counters.ForwardBytes);
        Assert.Equal((Big + 1, (ulong)uint.MaxValue + 1), (fromA, fromB));
        Assert.Equal(7UL, counters.ForwardPackets + counters.BackwardPackets);
    }

    /// <summary>Quality takes the attempts from the flags each side sent: the outcome the frames give.</summary>
    [Theory]
    [InlineData("established")]
    [InlineData("refused")]
    [InlineData("timeout")]
    [InlineData("udp")]
    public void Quality_counts_the_attempts_the_frames_count(string outcome)
    {
        var frames = new Table(quality: true);
        var observations = new Table(quality: true);
        var protocol = outcome == "udp" ? IpProtocol.Udp : IpProtocol.Tcp;
        var key = Key(protocol, "10.0.0.9", 40000, "10.0.0.1", 80, out var clientIsA);
        var (client, server) = (None, None);
        ulong answers = 0;
        switch (outcome)
        {
            case "established":
                Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, Second);
                Frame(frames, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, Second);
                Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, Second);
                (client, server, answers) = (Syn | Ack, Syn | Ack, 1);
                break;
            case "refused":
                Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, Second);
                Frame(frames, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Rst | Ack), 54, Second);
                (client, server, answers) = (Syn, Rst | Ack, 1);
                break;
            case "timeout":
                Frame(frames, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, Second);
                client = Syn;
                break;
            default:
                Frame(frames, Packets.Udp("10.0.0.9", 40000, "10.0.0.1", 80), 74, Second);
                Frame(frames, Packets.Udp("10.0.0.1", 80, "10.0.0.9", 40000), 74, Second);
                answers = 1;
                break;
        }

        var firstFlags = protocol == IpProtocol.Tcp ? Syn : None;
        observations.Tracker.Observe(new ConnectionObservation(key, clientIsA, firstFlags, Second, Second)
        {
            PacketsFromA = clientIsA ? 1UL : answers,
            PacketsFromB = clientIsA ? answers : 1UL,
            FlagsFromA = clientIsA ? client : server,
            FlagsFromB = clientIsA ? server : client,
        });
        frames.Tracker.Advance(60 * Second);
        observations.Tracker.Advance(60 * Second);

        var expected = Attempts(Assert.Single(frames.QualitySnapshot()));
        Assert.Equal(1UL, expected.Aggregate(0UL, (sum, count) => sum + count));
        Assert.Equal(expected, Attempts(Assert.Single(observations.QualitySnapshot())));
    }

    private static ulong[] Attempts(QualitySample sample)
    {
        var attempts = sample.Counters.Attempts;
        return [attempts[0], attempts[1], attempts[2], attempts[3]];
    }

    private static void Frame(Table table, DecodedPacket packet, int bytes, long at) =>
        Assert.True(table.Tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, bytes, at));

    private static ConnectionKey Key(byte protocol, string source, ushort sourcePort, string destination, ushort destinationPort, out bool sourceIsA) =>
        ConnectionKey.Of(0, protocol, Correlator.Net.IpAddress.Parse(source), sourcePort, Correlator.Net.IpAddress.Parse(destination), destinationPort, out sourceIsA);

    /// <summary>A connection table with its series (and quality, when asked), as the exporter composes it.</summary>
    private sealed class Table
    {
        private readonly ConnectionSeriesStore _series = new(1000);
        private readonly QualityTracker? _quality;

        public Table(int maxConnections = 1000, bool quality = false)
        {
            var keys = new SeriesKeyFactory();
            var options = new QualityOptions { Aggregation = AggregationLevel.Connection };
            _quality = quality ? new QualityTracker(options, new QualitySeriesStore(1000), _series, keys) : null;
            Tracker = new ConnectionTracker(
                new ConnectionTrackerOptions { MaxConnections = maxConnections, EvictionMinIdle = TimeSpan.FromHours(1) },
                new ConnectionSeries(_series, keys, AggregationLevel.Connection),
                _quality);
        }

        public ConnectionTracker Tracker { get; }

        public SeriesSample[] Snapshot()
        {
            Tracker.FlushCounters();
            var buffer = Array.Empty<SeriesSample>();
            var count = _series.Snapshot(ref buffer);
            return buffer[..count];
        }

        public QualitySample[] QualitySnapshot()
        {
            var buffer = Array.Empty<QualitySample>();
            var count = _quality!.Store.Snapshot(ref buffer);
            return buffer[..count];
        }

        public void AssertSameAs(Table other)
        {
            Assert.Equal(Tracker.Count, other.Tracker.Count);
            Assert.Equal(Lifecycle(this), Lifecycle(other));
            Assert.Equal(Snapshot(), other.Snapshot());
            Assert.Equal(
                (_series.CreatedSeries, _series.MergedConnections, _series.RejectedConnections),
                (other._series.CreatedSeries, other._series.MergedConnections, other._series.RejectedConnections));
        }

        private static (ushort, byte, long, long, long, long, long, long, long)[] Lifecycle(Table table) =>
        [
            .. table.Tracker.Lifecycle
                .Select(l => (l.Interface, l.Protocol, l.Opened, l.Active, l.Dropped, l.Closed(CloseReason.Fin), l.Closed(CloseReason.Rst), l.Closed(CloseReason.Timeout), l.Closed(CloseReason.Evicted)))
                .Order(),
        ];
    }
}
