using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;
using static FlowExporter.Correlator.Decoding.TcpFlags;

namespace FlowExporter.Correlator.Tests.Connections;

public sealed class ConnectionTrackerTests
{
    private const long Second = 1_000_000_000;
    private readonly ConnectionSeriesStore _series = new(1000);
    private ConnectionTracker? _tracker;

    private ConnectionTracker Tracker(int max = 1000, AggregationLevel aggregation = AggregationLevel.Connection) => _tracker = new(
        new ConnectionTrackerOptions
        {
            Timeout = TimeSpan.FromSeconds(60),
            CloseLinger = TimeSpan.FromSeconds(5),
            MaxConnections = max,
            EvictionMinIdle = TimeSpan.FromSeconds(5),
        },
        new ConnectionSeries(_series, aggregation));

    private static void Observe(ConnectionTracker tracker, DecodedPacket packet, int bytes, long at) =>
        Assert.True(tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, bytes, at));

    private SeriesSample[] Snapshot()
    {
        var buffer = Array.Empty<SeriesSample>();
        _tracker?.FlushCounters();
        var count = _series.Snapshot(ref buffer);
        return buffer[..count];
    }

    [Fact]
    public void A_syn_makes_its_sender_the_initiator_and_bytes_go_per_direction()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 1 * Second);
        Observe(tracker, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Syn | Ack), 74, 1 * Second);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, 1 * Second);
        Observe(tracker, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Ack | Psh), 1514, 2 * Second);

        var sample = Assert.Single(Snapshot());
        Assert.Equal("10.0.0.9", sample.Key.Initiator.ToString());
        Assert.Equal(40000, sample.Key.InitiatorPort);
        Assert.Equal("10.0.0.1", sample.Key.Target.ToString());
        Assert.Equal(80, sample.Key.TargetPort);
        Assert.Equal(InitiatorEvidence.Syn, sample.Key.Evidence);
        Assert.Equal(new SeriesCounters(140, 1588, 2, 2), sample.Counters);
    }

    [Fact]
    public void A_synack_seen_first_makes_its_receiver_the_initiator()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.1", 5201, "10.0.0.9", 33333, Syn | Ack), 74, Second);
        var sample = Assert.Single(Snapshot());
        Assert.Equal("10.0.0.9", sample.Key.Initiator.ToString());
        Assert.Equal(InitiatorEvidence.SynAck, sample.Key.Evidence);
        Assert.Equal(new SeriesCounters(0, 74, 0, 1), sample.Counters);
    }

    [Fact]
    public void Mid_stream_the_lower_port_is_the_target()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.1", 6379, "10.0.0.9", 51000, Ack | Psh), 100, Second);
        var sample = Assert.Single(Snapshot());
        Assert.Equal("10.0.0.9", sample.Key.Initiator.ToString());
        Assert.Equal(6379, sample.Key.TargetPort);
        Assert.Equal(InitiatorEvidence.Port, sample.Key.Evidence);
    }

    [Fact]
    public void Equal_ports_and_portless_protocols_fall_back_to_the_first_packet()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Udp("10.0.0.2", 123, "10.0.0.1", 123), 90, Second);
        Observe(tracker, Packets.Icmp("10.0.0.7", "10.0.0.3"), 98, Second);
        var samples = Snapshot();
        Assert.Equal(2, samples.Length);
        Assert.All(samples, s => Assert.Equal(InitiatorEvidence.FirstPacket, s.Key.Evidence));
        Assert.Contains(samples, s => s.Key.Initiator.ToString() == "10.0.0.2" && s.Key.HasTargetPort);
        Assert.Contains(samples, s => s.Key.Initiator.ToString() == "10.0.0.7" && !s.Key.HasTargetPort && !s.Key.HasInitiatorPort);
    }

    [Fact]
    public void An_idle_connection_times_out_and_its_series_leaves_after_one_snapshot_shows_it()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Udp("10.0.0.2", 5000, "10.0.0.1", 53), 80, 0);
        Assert.Single(Snapshot());

        tracker.Advance(59 * Second);
        Assert.Equal(1, tracker.Count);
        tracker.Advance(60 * Second);
        Assert.Equal(0, tracker.Count);
        var lifecycle = Assert.Single(tracker.Lifecycle);
        Assert.Equal(1, lifecycle.Closed(CloseReason.Timeout));
        Assert.Equal(0, lifecycle.Active);

        var final = Assert.Single(Snapshot());
        Assert.Equal(80UL, final.Counters.ForwardBytes);
        Assert.Empty(Snapshot());
    }

    [Fact]
    public void Counts_kept_in_the_table_reach_the_series_when_the_connection_ends_without_a_flush()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Udp("10.0.0.9", 5000, "10.0.0.1", 53), 80, 0);
        Observe(tracker, Packets.Udp("10.0.0.1", 53, "10.0.0.9", 5000), 120, Second);
        tracker.Advance(61 * Second);

        var buffer = Array.Empty<SeriesSample>();
        var count = _series.Snapshot(ref buffer);
        Assert.Equal(new SeriesCounters(80, 120, 1, 1), Assert.Single(buffer[..count]).Counters);
    }

    [Fact]
    public void A_connection_counts_past_four_gigabytes_between_flushes_exactly()
    {
        var tracker = Tracker();
        for (var i = 0; i < 3; i++)
        {
            Observe(tracker, Packets.Udp("10.0.0.9", 40000, "10.0.0.1", 9000), int.MaxValue, i * Second);
        }

        Observe(tracker, Packets.Udp("10.0.0.1", 9000, "10.0.0.9", 40000), 60, 3 * Second);
        Assert.Equal(new SeriesCounters(3UL * int.MaxValue, 60, 3, 1), Assert.Single(Snapshot()).Counters);
        Observe(tracker, Packets.Udp("10.0.0.9", 40000, "10.0.0.1", 9000), 100, 4 * Second);
        Assert.Equal(new SeriesCounters((3UL * int.MaxValue) + 100, 60, 4, 1), Assert.Single(Snapshot()).Counters);
    }

    [Fact]
    public void Fin_both_ways_closes_after_the_linger_and_late_packets_still_count()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 0);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Fin | Ack), 66, Second);
        Observe(tracker, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Fin | Ack), 66, Second);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Ack), 66, 2 * Second);
        tracker.Advance(5 * Second);
        Assert.Equal(1, tracker.Count);
        tracker.Advance(6 * Second);
        Assert.Equal(0, tracker.Count);
        Assert.Equal(1, Assert.Single(tracker.Lifecycle).Closed(CloseReason.Fin));
        Assert.Equal(new SeriesCounters(206, 66, 3, 1), Assert.Single(Snapshot()).Counters);
    }

    [Fact]
    public void Rst_closes_with_reason_rst()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 81, Syn), 74, 0);
        Observe(tracker, Packets.Tcp("10.0.0.1", 81, "10.0.0.9", 40000, Rst | Ack), 60, 0);
        tracker.Advance(5 * Second);
        Assert.Equal(1, Assert.Single(tracker.Lifecycle).Closed(CloseReason.Rst));
    }

    [Fact]
    public void A_new_syn_on_a_finished_tuple_starts_a_new_connection_on_the_same_series_without_a_reset()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 0);
        Observe(tracker, Packets.Tcp("10.0.0.1", 80, "10.0.0.9", 40000, Rst), 60, 0);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, Second);
        var lifecycle = Assert.Single(tracker.Lifecycle);
        Assert.Equal(2, lifecycle.Opened);
        Assert.Equal(1, lifecycle.Closed(CloseReason.Rst));
        Assert.Equal(new SeriesCounters(148, 60, 2, 1), Assert.Single(Snapshot()).Counters);
        Assert.Single(Snapshot());
    }

    [Fact]
    public void A_full_table_evicts_the_longest_idle_connection_only_when_idle_long_enough()
    {
        var tracker = Tracker(max: 2);
        Observe(tracker, Packets.Udp("10.0.0.1", 1001, "10.0.0.100", 53), 10, 0);
        Observe(tracker, Packets.Udp("10.0.0.2", 1002, "10.0.0.100", 53), 10, 0);

        // Nobody idle for 5 s yet: the newcomer is dropped.
        Assert.False(tracker.Observe(0, Packets.Udp("10.0.0.3", 1003, "10.0.0.100", 53), 1003, 53, 10, 4 * Second));
        Assert.Equal(1, Assert.Single(tracker.Lifecycle).Dropped);

        Observe(tracker, Packets.Udp("10.0.0.2", 1002, "10.0.0.100", 53), 10, 5 * Second);
        Observe(tracker, Packets.Udp("10.0.0.3", 1003, "10.0.0.100", 53), 10, 6 * Second);
        var lifecycle = Assert.Single(tracker.Lifecycle);
        Assert.Equal(1, lifecycle.Closed(CloseReason.Evicted));
        Assert.Equal(2, tracker.Count);
        var initiators = Snapshot().Select(s => s.Key.Initiator.ToString()).Order().ToArray();
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], initiators);
        Assert.Equal(["10.0.0.2", "10.0.0.3"], Snapshot().Select(s => s.Key.Initiator.ToString()).Order().ToArray());
    }

    [Fact]
    public void Endpoint_aggregation_drops_the_initiator_port_and_sums_connections()
    {
        var tracker = Tracker(aggregation: AggregationLevel.Endpoint);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40000, "10.0.0.1", 80, Syn), 74, 0);
        Observe(tracker, Packets.Tcp("10.0.0.9", 40001, "10.0.0.1", 80, Syn), 74, 0);
        var sample = Assert.Single(Snapshot());
        Assert.False(sample.Key.HasInitiatorPort);
        Assert.Equal(new SeriesCounters(148, 0, 2, 0), sample.Counters);
        Assert.Equal(2, tracker.Count);
    }

    [Fact]
    public void The_series_cap_keeps_tracking_and_counts_what_it_cannot_export()
    {
        var series = new ConnectionSeriesStore(1);
        var tracker = new ConnectionTracker(new ConnectionTrackerOptions(), new ConnectionSeries(series));
        Assert.True(tracker.Observe(0, Packets.Udp("10.0.0.1", 1, "10.0.0.2", 2), 1, 2, 10, 0));
        Assert.True(tracker.Observe(0, Packets.Udp("10.0.0.3", 1, "10.0.0.2", 2), 1, 2, 30, 0));
        Assert.Equal(2, tracker.Count);
        Assert.Equal(1, series.RejectedConnections);
        tracker.FlushCounters();
        Assert.Equal(30UL, series.UnexportedBytes);
    }

    [Fact]
    public void Time_never_goes_back()
    {
        var tracker = Tracker();
        Observe(tracker, Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 53), 10, 100 * Second);
        Observe(tracker, Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 53), 10, 10 * Second);
        Assert.Equal(100 * Second, tracker.Now);
        tracker.Advance(159 * Second);
        Assert.Equal(1, tracker.Count);
    }
}
