using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Tests.Series;

/// <summary>
/// A connection that moves to another capture point withdraws its series: the series leaves only when nothing else is
/// in it (no snapshot showed it, no other connection joined it).
/// </summary>
public sealed class SeriesWithdrawTests
{
    private static readonly ConnectionKey Key =
        ConnectionKey.Of(1, IpProtocol.Udp, IpAddress.Parse("10.0.0.9"), 5000, IpAddress.Parse("10.0.0.1"), 53, out _);

    [Fact]
    public void A_series_only_the_withdrawing_connection_held_and_nothing_showed_leaves_without_a_trace()
    {
        var store = new ConnectionSeriesStore(10);
        var series = new ConnectionSeries(store);
        var slot = series.Open(Key, initiatorIsA: false, InitiatorEvidence.Port);
        series.Withdraw(slot);

        Assert.Equal((0, 0L), (store.Count, store.CreatedSeries));
        Assert.Empty(Snapshot(store));
    }

    [Fact]
    public void A_series_another_connection_joined_keeps_its_counts_when_one_withdraws()
    {
        var store = new ConnectionSeriesStore(10);
        var series = new ConnectionSeries(store);
        var first = series.Open(Key, initiatorIsA: false, InitiatorEvidence.Port);
        var second = series.Open(Key, initiatorIsA: false, InitiatorEvidence.Port);
        Assert.Equal(first, second);
        series.Add(second, 80, 0, 1, 0);
        series.Release(second);
        series.Withdraw(first);

        var sample = Assert.Single(Snapshot(store));
        Assert.Equal((80UL, 1UL), (sample.Counters.ForwardBytes, sample.Counters.ForwardPackets));
        Assert.Empty(Snapshot(store));
    }

    [Fact]
    public void A_series_a_snapshot_showed_stays_for_one_more_snapshot_when_withdrawn()
    {
        var store = new ConnectionSeriesStore(10);
        var series = new ConnectionSeries(store);
        var slot = series.Open(Key, initiatorIsA: false, InitiatorEvidence.Port);
        series.Add(slot, 80, 0, 1, 0);
        Assert.Single(Snapshot(store));
        series.Withdraw(slot);

        Assert.Equal(80UL, Assert.Single(Snapshot(store)).Counters.ForwardBytes);
        Assert.Empty(Snapshot(store));
        Assert.Equal(1L, store.CreatedSeries);
    }

    private static SeriesSample[] Snapshot(ConnectionSeriesStore store)
    {
        var buffer = Array.Empty<SeriesSample>();
        var count = store.Snapshot(ref buffer);
        return buffer[..count];
    }
}
