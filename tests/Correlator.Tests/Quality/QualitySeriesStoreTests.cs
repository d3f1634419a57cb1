using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Tests.Quality;

/// <summary>The quality store keeps 32-bit counts; a count past 2^32 carries into its high part and never goes back.</summary>
public sealed class QualitySeriesStoreTests
{
    private const ulong Wrap = 1UL << 32;

    [Fact]
    public void Counts_past_two_to_the_32_carry_and_the_snapshot_shows_64_bit_values()
    {
        var store = new QualitySeriesStore(10);
        var slot = store.Acquire(Key(40000));
        store.SetCount(slot, QualityCellCounts.RetransmittedForward, uint.MaxValue);
        store.SetCount(slot, QualityCellCounts.FirstAttempt + (int)AttemptResult.Established, (3 * Wrap) - 1);
        store.SetCount(slot, QualityCellCounts.FirstBucket + 3, Wrap + 5);

        store.CountRetransmission(slot, forward: true);
        store.CountRetransmission(slot, forward: true);
        store.CountRetransmission(slot, forward: false);
        store.CountAttempt(slot, AttemptResult.Established);
        store.ObserveHandshake(slot, 400_000); // the 500 µs bucket, index 3
        store.ObserveHandshake(slot, 40_000); // the 50 µs bucket

        var counters = Snapshot(store)[0].Counters;
        Assert.Equal((Wrap + 1, 1UL), (counters.RetransmittedForward, counters.RetransmittedBackward));
        Assert.Equal(3 * Wrap, counters.Attempts[(int)AttemptResult.Established]);
        Assert.Equal((1UL, Wrap + 6), (counters.HandshakeBuckets[0], counters.HandshakeBuckets[3]));
        Assert.Equal(Wrap + 7, counters.HandshakeCount);
        Assert.Equal(440_000, counters.HandshakeSumNanoseconds);
    }

    [Fact]
    public void A_series_that_leaves_takes_its_high_parts_and_a_new_series_in_its_slot_starts_at_zero()
    {
        var store = new QualitySeriesStore(10);
        var slot = store.Acquire(Key(40000));
        store.SetCount(slot, QualityCellCounts.ResetsBackward, uint.MaxValue);
        store.CountReset(slot, fromInitiator: false);
        store.Release(slot);
        Assert.Equal(Wrap, Snapshot(store)[0].Counters.ResetsBackward); // its last values, then it leaves
        Assert.Empty(Snapshot(store));

        var next = store.Acquire(Key(40001));
        Assert.Equal(slot, next);
        store.CountReset(next, fromInitiator: false);
        Assert.Equal(1UL, Snapshot(store)[0].Counters.ResetsBackward);
    }

    private static QualitySample[] Snapshot(QualitySeriesStore store)
    {
        var buffer = Array.Empty<QualitySample>();
        var count = store.Snapshot(ref buffer);
        return buffer[..count];
    }

    private static SeriesKey Key(ushort clientPort)
    {
        var connection = ConnectionKey.Of(0, IpProtocol.Tcp, IpAddress.FromV4(0x0A000001), clientPort, IpAddress.FromV4(0x0A000002), 443, out var sourceIsA);
        return new SeriesKeyFactory().For(connection, sourceIsA, InitiatorEvidence.Syn, AggregationLevel.Connection);
    }
}
