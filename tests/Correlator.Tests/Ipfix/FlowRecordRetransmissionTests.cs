using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Ipfix;

/// <summary>
/// Retransmissions in flow records: every capture replayed with quality on and a 1 s active timeout (so long connections
/// send several records), the records' retransmission deltas per connection and direction add up to tshark's
/// <c>tcp.analysis.retransmission</c> count of the same stream.
/// </summary>
public sealed class FlowRecordRetransmissionTests
{
    public static TheoryData<string> Captures() => new(Fixtures.AllPcaps());

    [Theory]
    [MemberData(nameof(Captures))]
    public void Record_retransmission_deltas_add_up_to_tshark_per_connection_and_direction(string capture)
    {
        var path = Fixtures.Pcap(capture);
        var series = new ConnectionSeriesStore(100_000);
        var keys = new SeriesKeyFactory();
        var quality = new QualityTracker(new QualityOptions { Aggregation = AggregationLevel.Connection }, new QualitySeriesStore(100_000), series, keys);
        var sink = new CollectingSink();
        var tracker = new ConnectionTracker(
            new ConnectionTrackerOptions(),
            new ConnectionSeries(series, keys, AggregationLevel.Connection),
            quality,
            new FlowRecorder(sink, TimeSpan.FromSeconds(1), 100_000));
        var pipeline = new CapturePipeline(new FrameDecoder(DecoderOptions.Default), tracker, new FragmentTracker(1024, TimeSpan.FromSeconds(30)));
        using (var stream = File.OpenRead(path))
        {
            pipeline.ProcessAll(CaptureFileReader.Open(stream));
        }

        tracker.EmitOpenRecords();

        var expected = TsharkOracle.TcpStreams(path)
            .GroupBy(s => s.Key)
            .ToDictionary(g => g.Key, g => (AToB: g.Sum(s => (long)s.RetransmissionsAToB), BToA: g.Sum(s => (long)s.RetransmissionsBToA)));
        var actual = new Dictionary<ConversationKey, (long AToB, long BToA)>();
        foreach (var record in sink.Records.Where(r => r.Protocol == IpProtocol.Tcp))
        {
            var conversation = ConversationKey.Of("tcp", $"{record.Source}:{record.SourcePort}", $"{record.Destination}:{record.DestinationPort}", out var sourceIsA);
            var (forward, reverse) = ((long)record.Forward.Retransmissions, (long)record.Reverse.Retransmissions);
            var totals = actual.GetValueOrDefault(conversation);
            actual[conversation] = sourceIsA ? (totals.AToB + forward, totals.BToA + reverse) : (totals.AToB + reverse, totals.BToA + forward);
        }

        // A TCP connection tshark does not analyse (a header it rejects) has records without retransmissions.
        foreach (var key in actual.Keys.Where(k => !expected.ContainsKey(k)).ToList())
        {
            Assert.Equal((0L, 0L), actual[key]);
            actual.Remove(key);
        }

        Assert.Equal(
            expected.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"),
            actual.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"));
    }
}
