using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Quality;

/// <summary>
/// Quality another engine measured itself (<see cref="ObservedQuality"/>, by side of the canonical key) reaches the same
/// quality series as the libpcap engine's analysis: the handshake RTT once from the initiator's ACK, retransmitted and
/// zero-window segments per direction, and an ICMP quote of the initiator's packet as an unreachable attempt.
/// </summary>
public sealed class ObservedQualityTests
{
    private const long Second = 1_000_000_000;
    private const long Millisecond = 1_000_000;

    [Theory]
    [InlineData("10.0.0.9", 40000, "10.0.0.1", 80)] // the client is B
    [InlineData("10.0.0.1", 40000, "10.0.0.9", 80)] // the client is A
    public void The_handshake_is_recorded_once_from_the_initiators_ack(string client, ushort clientPort, string server, ushort serverPort)
    {
        var table = new Table();
        var key = Key(IpProtocol.Tcp, client, clientPort, server, serverPort, out var clientIsA);
        table.Observe(key, clientIsA, Syn, Syn | Ack, Syn | Ack, new ObservedQuality { HandshakeRtt = 5 * Millisecond, HandshakeAckFromB = !clientIsA });
        table.Observe(key, clientIsA, Ack, Ack, Ack, new ObservedQuality { HandshakeRtt = 7 * Millisecond, HandshakeAckFromB = !clientIsA });

        var sample = Assert.Single(table.QualitySnapshot());
        Assert.Equal((1UL, 5 * Millisecond), (sample.HandshakeCount, sample.HandshakeSumNanoseconds));
        Assert.Equal(5 * Millisecond, table.Quality.HandshakeRtt(0));
        Assert.Equal(1UL, sample.Counters.Attempts[(int)AttemptResult.Established]);
    }

    [Theory]
    [InlineData(false, false)] // the target's ACK completed the clock: tshark's RTT, no handshake
    [InlineData(false, true)] // the target's RST-ACK refusing the SYN
    [InlineData(true, true)] // the initiator's RST-ACK
    public void No_handshake_is_recorded_from_the_targets_segment_or_a_reset(bool fromInitiator, bool reset)
    {
        var table = new Table();
        var key = Key(IpProtocol.Tcp, "10.0.0.9", 40000, "10.0.0.1", 80, out var clientIsA);
        var ackFromB = fromInitiator ? !clientIsA : clientIsA;
        table.Observe(key, clientIsA, Syn, Syn, Syn | Ack, new ObservedQuality { HandshakeRtt = Millisecond, HandshakeAckFromB = ackFromB, HandshakeAckReset = reset });

        Assert.Equal(0UL, Assert.Single(table.QualitySnapshot()).HandshakeCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Retransmitted_and_zero_window_segments_count_in_the_direction_they_travel(bool clientIsA)
    {
        var table = new Table();
        var key = clientIsA
            ? Key(IpProtocol.Tcp, "10.0.0.1", 40000, "10.0.0.9", 80, out var isA)
            : Key(IpProtocol.Tcp, "10.0.0.9", 40000, "10.0.0.1", 80, out isA);
        Assert.Equal(clientIsA, isA);
        var measured = new ObservedQuality { RetransmissionsFromA = 3, RetransmissionsFromB = 1, ZeroWindowsFromA = 0, ZeroWindowsFromB = 2 };
        table.Observe(key, clientIsA, Syn, Syn | Ack, Syn | Ack, measured);
        table.Observe(key, clientIsA, Ack, Ack, Ack, measured);

        var counters = Assert.Single(table.QualitySnapshot()).Counters;
        var (fromClient, fromServer) = clientIsA ? (3UL, 1UL) : (1UL, 3UL);
        Assert.Equal((2 * fromClient, 2 * fromServer), (counters.RetransmittedForward, counters.RetransmittedBackward));
        var (zeroClient, zeroServer) = clientIsA ? (0UL, 2UL) : (2UL, 0UL);
        Assert.Equal((2 * zeroClient, 2 * zeroServer), (counters.ZeroWindowForward, counters.ZeroWindowBackward));
        Assert.Equal((uint)(2 * fromClient), table.Quality.Retransmissions(0, fromInitiator: true));
    }

    [Fact]
    public void A_quote_of_the_initiators_syn_is_an_unreachable_attempt_and_of_the_targets_packet_is_not()
    {
        var table = new Table();
        var key = Key(IpProtocol.Tcp, "10.0.0.9", 40000, "10.0.0.1", 80, out var clientIsA);
        table.Observe(key, clientIsA, Syn, Syn, None, new ObservedQuality { UnreachableQuotedFromA = !clientIsA, UnreachableQuotedFromB = clientIsA });
        var other = Key(IpProtocol.Tcp, "10.0.0.9", 40001, "10.0.0.1", 80, out clientIsA);
        table.Observe(other, clientIsA, Syn, Syn, None, new ObservedQuality { UnreachableQuotedFromA = clientIsA, UnreachableQuotedFromB = !clientIsA });
        table.Tracker.Advance(60 * Second);

        var attempts = table.QualitySnapshot().Select(s => s.Counters.Attempts).ToArray();
        Assert.Equal(1L, attempts.Sum(a => (long)a[(int)AttemptResult.Unreachable]));
        Assert.Equal(1L, attempts.Sum(a => (long)a[(int)AttemptResult.Timeout]));
    }

    [Fact]
    public void A_quote_reported_in_a_later_interval_without_packets_ends_the_udp_attempt_and_opens_nothing_unknown()
    {
        var table = new Table();
        var key = Key(IpProtocol.Udp, "10.0.0.9", 40000, "10.0.0.1", 53, out var clientIsA);
        table.Observe(key, clientIsA, None, None, None, default);
        table.Observe(key, clientIsA, None, None, None, new ObservedQuality { UnreachableQuotedFromA = clientIsA, UnreachableQuotedFromB = !clientIsA }, packets: 0);
        var unknown = Key(IpProtocol.Udp, "10.0.0.9", 40001, "10.0.0.1", 53, out clientIsA);
        table.Observe(unknown, clientIsA, None, None, None, new ObservedQuality { UnreachableQuotedFromA = clientIsA, UnreachableQuotedFromB = !clientIsA }, packets: 0);

        Assert.Equal(1, table.Tracker.Count);
        Assert.Equal(1UL, Assert.Single(table.QualitySnapshot()).Counters.Attempts[(int)AttemptResult.Unreachable]);
    }

    [Fact]
    public void Swapping_the_sides_keeps_whose_ack_completed_the_handshake()
    {
        var measured = new ObservedQuality(Millisecond, HandshakeAckFromB: false, HandshakeAckReset: false, 1, 2, 3, 4, UnreachableQuotedFromA: true, UnreachableQuotedFromB: false);
        Assert.Equal(new ObservedQuality(Millisecond, true, false, 2, 1, 4, 3, false, true), measured.Swapped());
        Assert.Equal(default, default(ObservedQuality).Swapped());
        Assert.Equal(measured, measured.Swapped().Swapped());
    }

    private static ConnectionKey Key(byte protocol, string source, ushort sourcePort, string destination, ushort destinationPort, out bool sourceIsA) =>
        ConnectionKey.Of(0, protocol, Correlator.Net.IpAddress.Parse(source), sourcePort, Correlator.Net.IpAddress.Parse(destination), destinationPort, out sourceIsA);

    private sealed class Table
    {
        private readonly ConnectionSeriesStore _series = new(1000);
        private long _time = Second;

        public Table()
        {
            var keys = new SeriesKeyFactory();
            Quality = new QualityTracker(new QualityOptions { Aggregation = AggregationLevel.Connection }, new QualitySeriesStore(1000), _series, keys);
            Tracker = new ConnectionTracker(
                new ConnectionTrackerOptions { MaxConnections = 1000, EvictionMinIdle = TimeSpan.FromHours(1) },
                new ConnectionSeries(_series, keys, AggregationLevel.Connection),
                Quality);
        }

        public ConnectionTracker Tracker { get; }

        public QualityTracker Quality { get; }

        /// <summary>One interval of the client (sent <paramref name="clientFlags"/>) and the server (<paramref name="serverFlags"/>).</summary>
        public void Observe(ConnectionKey key, bool clientIsA, TcpFlags firstFlags, TcpFlags clientFlags, TcpFlags serverFlags, ObservedQuality measured, ulong packets = 1)
        {
            _time += Millisecond;
            var serverPackets = serverFlags != None ? packets : 0UL;
            Assert.True(Tracker.Observe(new ConnectionObservation(key, clientIsA, firstFlags, _time, _time)
            {
                PacketsFromA = clientIsA ? packets : serverPackets,
                PacketsFromB = clientIsA ? serverPackets : packets,
                FlagsFromA = clientIsA ? clientFlags : serverFlags,
                FlagsFromB = clientIsA ? serverFlags : clientFlags,
                Quality = measured,
            }));
        }

        public QualitySample[] QualitySnapshot()
        {
            var buffer = Array.Empty<QualitySample>();
            var count = Quality.Store.Snapshot(ref buffer);
            return buffer[..count];
        }
    }
}
