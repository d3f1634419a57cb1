using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Ipfix;

/// <summary>
/// Another engine's reports (<see cref="ConnectionObservation"/>) produce the flow records their frames produce: the
/// same keys and initiators, counts, start and end times and end reasons, at every moment a record goes out.
/// </summary>
public sealed class ObservedFlowRecordTests
{
    private const long Second = 1_000_000_000;

    /// <summary>How a replay ends: which records the table still owes go out, and why.</summary>
    public enum Ending
    {
        /// <summary>A roomy table; at the end, time runs on an hour: idle timeouts and finished connections.</summary>
        Expire,

        /// <summary>A roomy table; at the end, the exporter stops: forced end.</summary>
        Shutdown,

        /// <summary>A two-connection table that evicts at once: lack of resources along the way, then expiry.</summary>
        Evict,
    }

    public static TheoryData<string, Ending> Replays()
    {
        var data = new TheoryData<string, Ending>();
        foreach (var capture in Fixtures.AllPcaps())
        {
            foreach (var ending in Enum.GetValues<Ending>())
            {
                data.Add(capture, ending);
            }
        }

        return data;
    }

    /// <summary>Every frame of every fixture, once as a frame and once as a one-packet observation: the same records.</summary>
    [Theory]
    [MemberData(nameof(Replays))]
    public void One_observation_per_frame_gives_exactly_the_records_of_the_frames(string capture, Ending ending)
    {
        var (fromFrames, fromObservations) = Replay(capture, ending);

        Assert.Equal(fromFrames, fromObservations);
        Assert.All(fromObservations, r => Assert.True(r.Forward.Packets + r.Reverse.Packets > 0, r.ToString()));
    }

    /// <summary>The fixtures together reach every flow end reason through observations, so the theory above covers each.</summary>
    [Fact]
    public void The_fixtures_reach_every_flow_end_reason_through_observations()
    {
        var reasons = Fixtures.AllPcaps()
            .SelectMany(capture => Enum.GetValues<Ending>().SelectMany(ending => Replay(capture, ending).Observations))
            .Select(r => r.EndReason)
            .ToHashSet();

        Assert.Equal(
            [FlowEndReason.IdleTimeout, FlowEndReason.ActiveTimeout, FlowEndReason.EndOfFlow, FlowEndReason.ForcedEnd, FlowEndReason.LackOfResources],
            reasons.Order());
    }

    /// <summary>
    /// A connection reported in two sweeps, the second after the active timeout: the first sweep's record goes out
    /// with the second (active timeout), the second's at the end (end of flow), as the frames' records do.
    /// </summary>
    [Fact]
    public void Reports_spanning_the_active_timeout_send_the_records_of_their_frames()
    {
        var frames = new Recorded(activeTimeout: TimeSpan.FromSeconds(3));
        frames.Frame(Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        frames.Frame(Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second);
        frames.Frame(Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, 2 * Second);
        frames.Frame(Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Ack | Psh), 1514, 5 * Second);
        frames.Frame(Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Fin | Ack), 66, 6 * Second);
        frames.Frame(Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Fin | Ack), 66, 6 * Second);

        var observations = new Recorded(activeTimeout: TimeSpan.FromSeconds(3));
        var key = ConnectionKey.Of(0, IpProtocol.Tcp, Correlator.Net.IpAddress.Parse("10.0.0.9"), 40000, Correlator.Net.IpAddress.Parse("10.0.0.1"), 80, out var clientIsA);
        observations.Observe(Sides(key, clientIsA, Syn, 1 * Second, 2 * Second, client: (140, 2, Syn | Ack), server: (74, 1, Syn | Ack)));
        observations.Observe(Sides(key, clientIsA, Ack | Psh, 5 * Second, 6 * Second, client: (66, 1, Fin | Ack), server: (1514 + 66, 2, Ack | Psh | Fin)));

        frames.Tracker.Advance(60 * Second);
        observations.Tracker.Advance(60 * Second);
        Assert.Equal([FlowEndReason.ActiveTimeout, FlowEndReason.EndOfFlow], observations.Sink.Records.Select(r => r.EndReason));
        Assert.Equal(frames.Sink.Records, observations.Sink.Records);
        Assert.Equal((1 * Second, 2 * Second, 5 * Second, 6 * Second), (observations.Sink.Records[0].StartNanoseconds, observations.Sink.Records[0].EndNanoseconds, observations.Sink.Records[1].StartNanoseconds, observations.Sink.Records[1].EndNanoseconds));
    }

    /// <summary>An observation has no sequence numbers: with quality on, its records carry no handshake RTT and no retransmissions.</summary>
    [Fact]
    public void Records_from_observations_carry_no_handshake_rtt_or_retransmissions()
    {
        var observations = new Recorded(activeTimeout: TimeSpan.FromSeconds(60), quality: true);
        var key = ConnectionKey.Of(0, IpProtocol.Tcp, Correlator.Net.IpAddress.Parse("10.0.0.9"), 40000, Correlator.Net.IpAddress.Parse("10.0.0.1"), 80, out var clientIsA);
        observations.Observe(Sides(key, clientIsA, Syn, 1 * Second, 2 * Second, client: (206, 3, Syn | Ack | Fin), server: (140, 2, Syn | Ack | Fin)));
        observations.Tracker.Advance(60 * Second);

        var record = Assert.Single(observations.Sink.Records);
        Assert.Equal((0L, 0UL, 0UL), (record.HandshakeRttNanoseconds, record.Forward.Retransmissions, record.Reverse.Retransmissions));
        Assert.Equal((206UL, 3UL, 140UL, 2UL), (record.Forward.Layer2Octets, record.Forward.Packets, record.Reverse.Layer2Octets, record.Reverse.Packets));
        Assert.Equal(FlowEndReason.EndOfFlow, record.EndReason);
    }

    /// <summary>One report may carry more packets than 32 bits hold: the record carries them whole.</summary>
    [Fact]
    public void A_report_past_32_bits_of_packets_reaches_the_record_whole()
    {
        var observations = new Recorded(activeTimeout: TimeSpan.FromSeconds(60));
        var key = ConnectionKey.Of(0, IpProtocol.Udp, Correlator.Net.IpAddress.Parse("10.0.0.9"), 40000, Correlator.Net.IpAddress.Parse("10.0.0.1"), 53, out var clientIsA);
        const ulong Many = (3UL << 32) + 5;
        observations.Observe(Sides(key, clientIsA, None, 1 * Second, 2 * Second, client: (Many * 100, Many, None), server: (0, 0, None)));
        observations.Observe(Sides(key, clientIsA, None, 3 * Second, 3 * Second, client: (100, 1, None), server: (0, 0, None)));
        observations.Tracker.EmitOpenRecords();

        var record = Assert.Single(observations.Sink.Records);
        Assert.Equal((Many + 1, (Many + 1) * 100, (Many + 1) * 86), (record.Forward.Packets, record.Forward.Layer2Octets, record.Forward.IpOctets));
    }

    /// <summary>
    /// An engine that measures no IP octets or VLAN (the eBPF maps so far) leaves them 0: its records say 0 octets and
    /// VLAN 0, and still carry its exact frame bytes and packets (layer2OctetDeltaCount, packetDeltaCount).
    /// </summary>
    [Fact]
    public void Reports_without_ip_octets_send_records_with_zero_octets_and_the_exact_frame_bytes()
    {
        var observations = new Recorded(activeTimeout: TimeSpan.FromSeconds(60));
        var key = ConnectionKey.Of(0, IpProtocol.Udp, Correlator.Net.IpAddress.Parse("10.0.0.9"), 40000, Correlator.Net.IpAddress.Parse("10.0.0.1"), 53, out var clientIsA);
        observations.Observe(Sides(key, clientIsA, None, 1 * Second, 2 * Second, client: (300, 3, None), server: (500, 2, None)) with
        {
            IpBytesFromA = 0,
            IpBytesFromB = 0,
        });
        observations.Tracker.EmitOpenRecords();

        var record = Assert.Single(observations.Sink.Records);
        Assert.Equal(new FlowCounts(0, 300, 3, 0), record.Forward);
        Assert.Equal(new FlowCounts(0, 500, 2, 0), record.Reverse);
        Assert.Equal((ushort)0, record.VlanId);
    }

    /// <summary>An observation of both sides; IP octets are the frames' minus 14 bytes of Ethernet header each.</summary>
    private static ConnectionObservation Sides(ConnectionKey key, bool clientIsA, TcpFlags firstFlags, long first, long last, (ulong Bytes, ulong Packets, TcpFlags Flags) client, (ulong Bytes, ulong Packets, TcpFlags Flags) server)
    {
        var (a, b) = clientIsA ? (client, server) : (server, client);
        var firstSenderIsA = (firstFlags & (Syn | Ack)) == Syn || firstFlags == None ? clientIsA : !clientIsA;
        return new ConnectionObservation(key, firstSenderIsA, firstFlags, first, last)
        {
            BytesFromA = a.Bytes,
            PacketsFromA = a.Packets,
            IpBytesFromA = a.Bytes - (14 * a.Packets),
            FlagsFromA = a.Flags,
            BytesFromB = b.Bytes,
            PacketsFromB = b.Packets,
            IpBytesFromB = b.Bytes - (14 * b.Packets),
            FlagsFromB = b.Flags,
        };
    }

    /// <summary>Replays a capture into two tables, frames into one and one-packet observations into the other.</summary>
    private static (List<FlowRecord> Frames, List<FlowRecord> Observations) Replay(string capture, Ending ending)
    {
        var maxConnections = ending == Ending.Evict ? 2 : 100_000;
        var frames = new Recorded(TimeSpan.FromSeconds(1), maxConnections);
        var observations = new Recorded(TimeSpan.FromSeconds(1), maxConnections);
        var decoder = new FrameDecoder(DecoderOptions.Default);
        var fragments = new FragmentTracker(1024, TimeSpan.FromSeconds(30));
        var packet = default(DecodedPacket);
        using (var stream = File.OpenRead(Fixtures.Pcap(capture)))
        {
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
                var (wire, ip) = ((ulong)frame.WireLength, (ulong)packet.IpLength);
                Assert.Equal(
                    frames.Tracker.Observe(captureInterface, packet, sourcePort, destinationPort, frame.WireLength, time),
                    observations.Observe(new ConnectionObservation(key, sourceIsA, flags, time, time)
                    {
                        BytesFromA = sourceIsA ? wire : 0,
                        IpBytesFromA = sourceIsA ? ip : 0,
                        PacketsFromA = sourceIsA ? 1UL : 0,
                        BytesFromB = sourceIsA ? 0 : wire,
                        IpBytesFromB = sourceIsA ? 0 : ip,
                        PacketsFromB = sourceIsA ? 0 : 1UL,
                        FlagsFromA = sourceIsA ? flags : None,
                        FlagsFromB = sourceIsA ? None : flags,
                        VlanId = packet.VlanId,
                    }));
            }
        }

        foreach (var table in (Recorded[])[frames, observations])
        {
            if (ending == Ending.Shutdown)
            {
                table.Tracker.EmitOpenRecords();
            }
            else
            {
                table.Tracker.Advance(table.Tracker.Now + (3600 * Second));
            }
        }

        return (frames.Sink.Records, observations.Sink.Records);
    }

    /// <summary>A connection table with flow records (and quality, when asked), as the exporter composes it.</summary>
    private sealed class Recorded
    {
        public Recorded(TimeSpan activeTimeout, int maxConnections = 100_000, bool quality = false)
        {
            var series = new ConnectionSeriesStore(100_000);
            var keys = new SeriesKeyFactory();
            var qualityTracker = quality
                ? new QualityTracker(new QualityOptions { Aggregation = AggregationLevel.Connection }, new QualitySeriesStore(1000), series, keys)
                : null;
            Tracker = new ConnectionTracker(
                new ConnectionTrackerOptions { MaxConnections = maxConnections, EvictionMinIdle = TimeSpan.Zero },
                new ConnectionSeries(series, keys, AggregationLevel.Connection),
                qualityTracker,
                new FlowRecorder(Sink, activeTimeout, maxConnections));
        }

        public CollectingSink Sink { get; } = new();

        public ConnectionTracker Tracker { get; }

        public bool Observe(in ConnectionObservation observation) => Tracker.Observe(observation);

        public void Frame(DecodedPacket packet, int wireBytes, long at)
        {
            packet.IpLength = wireBytes - 14;
            Assert.True(Tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, wireBytes, at));
        }
    }
}
