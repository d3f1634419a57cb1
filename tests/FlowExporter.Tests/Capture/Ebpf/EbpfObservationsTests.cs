using FlowExporter.Capture.Ebpf;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Tests.Capture.Ebpf;

public sealed class EbpfObservationsTests
{
    private static readonly Func<long, long> PlusOneSecond = monotonic => monotonic + 1_000_000_000;

    [Fact]
    public void A_sample_becomes_the_observation_of_its_capture_point_with_its_counts_and_times()
    {
        var sample = Sample(IpAddress.Parse("10.0.0.1"), 50000, IpAddress.Parse("10.0.0.2"), 443) with
        {
            BytesFromA = 1000,
            PacketsFromA = 10,
            BytesFromB = 20000,
            PacketsFromB = 15,
            TcpFlagsFromA = TcpFlags.Syn | TcpFlags.Ack,
            TcpFlagsFromB = TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin,
            FirstFromB = false,
            FirstPacketFlags = TcpFlags.Syn,
            FirstSeenNanoseconds = 5,
            LastSeenNanoseconds = 9,
            IpBytesFromA = 860,
            IpBytesFromB = 19790,
            VlanId = 42,
        };
        Assert.True(EbpfObservations.TryFrom(sample, index => index == 7 ? (ushort)3 : null, PlusOneSecond, out var observation));
        Assert.Equal(3, observation.Key.Interface);
        Assert.Equal(IpAddress.Parse("10.0.0.1"), observation.Key.AddressA);
        Assert.Equal((ushort)50000, observation.Key.PortA);
        Assert.True(observation.FirstSenderIsA);
        Assert.Equal(TcpFlags.Syn, observation.FirstFlags);
        Assert.Equal((1_000_000_005L, 1_000_000_009L), (observation.FirstSeen, observation.LastSeen));
        Assert.Equal((1000UL, 10UL, 20000UL, 15UL), (observation.BytesFromA, observation.PacketsFromA, observation.BytesFromB, observation.PacketsFromB));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin, observation.FlagsFromB);
        Assert.Equal((860UL, 19790UL, (ushort)42), (observation.IpBytesFromA, observation.IpBytesFromB, observation.VlanId));
    }

    [Fact]
    public void Sides_out_of_canonical_order_are_swapped_with_everything_they_carry()
    {
        var sample = Sample(IpAddress.Parse("10.0.0.9"), 443, IpAddress.Parse("10.0.0.1"), 50000) with
        {
            BytesFromA = 7,
            PacketsFromA = 1,
            BytesFromB = 9,
            PacketsFromB = 2,
            TcpFlagsFromA = TcpFlags.Rst,
            FirstFromB = true,
            FirstPacketFlags = TcpFlags.Syn,
            IpBytesFromA = 3,
            IpBytesFromB = 5,
            Quality = new ObservedQuality(1_000, HandshakeAckFromB: false, HandshakeAckReset: false, 4, 6, 0, 1, UnreachableQuotedFromA: true, UnreachableQuotedFromB: false),
        };
        Assert.True(EbpfObservations.TryFrom(sample, _ => 0, PlusOneSecond, out var observation));
        Assert.Equal(IpAddress.Parse("10.0.0.1"), observation.Key.AddressA);
        Assert.Equal((ushort)50000, observation.Key.PortA);
        Assert.True(observation.FirstSenderIsA);
        Assert.Equal((9UL, 2UL, 7UL, 1UL), (observation.BytesFromA, observation.PacketsFromA, observation.BytesFromB, observation.PacketsFromB));
        Assert.Equal(TcpFlags.Rst, observation.FlagsFromB);
        Assert.Equal((5UL, 3UL), (observation.IpBytesFromA, observation.IpBytesFromB));
        Assert.Equal(new ObservedQuality(1_000, HandshakeAckFromB: true, HandshakeAckReset: false, 6, 4, 1, 0, UnreachableQuotedFromA: false, UnreachableQuotedFromB: true), observation.Quality);
    }

    [Fact]
    public void A_sample_of_an_interface_that_is_no_capture_point_is_not_observed()
    {
        Assert.False(EbpfObservations.TryFrom(Sample(IpAddress.Parse("10.0.0.1"), 1, IpAddress.Parse("10.0.0.2"), 2), _ => null, PlusOneSecond, out _));
    }

    private static EbpfConnectionSample Sample(IpAddress a, ushort portA, IpAddress b, ushort portB) => new(
        7, 6, a, portA, b, portB, 0, 0, 0, 0, 0, 0, 0, 0, TcpFlags.None, TcpFlags.None, false, TcpFlags.None, HandshakeEvidence.None);
}
