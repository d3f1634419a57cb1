using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Quality;

/// <summary>Attempt outcomes, resets and the handshake histogram from replayed captures, at the endpoint level.</summary>
public sealed class QualityAttemptsTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void Lab_attempts_established_refused_timed_out_and_unreachable()
    {
        var replayer = new Replayer(quality: new QualityOptions { SynTimeout = TimeSpan.FromSeconds(2) });
        replayer.Run(Fixtures.Pcap("quality-attempts-client.pcap"));
        var quality = replayer.Snapshot().Quality.ToArray();

        // Two exchanges on 8080, the closed port 8081, the SYNs from 10.99.77.11 that the blackhole route never answers
        // (two seconds after the first SYN, at the third), and UDP to the closed port 9999 (ICMP port unreachable).
        Assert.Equal([2UL, 0, 0, 0], Attempts(quality, "10.99.77.1", "10.99.77.2", 8080, IpProtocol.Tcp));
        Assert.Equal([0UL, 1, 0, 0], Attempts(quality, "10.99.77.1", "10.99.77.2", 8081, IpProtocol.Tcp));
        Assert.Equal([0UL, 0, 1, 0], Attempts(quality, "10.99.77.11", "10.99.77.2", 8080, IpProtocol.Tcp));
        Assert.Equal([0UL, 0, 0, 1], Attempts(quality, "10.99.77.1", "10.99.77.2", 9999, IpProtocol.Udp));

        // The unanswered SYN was sent four times: three retransmissions, as tshark counts them.
        Assert.Equal(3UL, Single(quality, "10.99.77.11", "10.99.77.2", 8080, IpProtocol.Tcp).RetransmittedForward);
        Assert.Equal(0UL, Single(quality, "10.99.77.1", "10.99.77.2", 8081, IpProtocol.Tcp).ResetsBackward);
    }

    [Fact]
    public void An_unanswered_syn_times_out_once_time_passes_without_packets()
    {
        var replayer = new Replayer(quality: new QualityOptions { SynTimeout = TimeSpan.FromSeconds(10) });
        var reader = replayer.Run(Fixtures.Pcap("quality-attempts-client.pcap"));
        var end = replayer.Pipeline.Tracker.Now;
        Assert.Equal([0UL, 0, 0, 0], Attempts(replayer.Snapshot().Quality.ToArray(), "10.99.77.11", "10.99.77.2", 8080, IpProtocol.Tcp));

        replayer.Pipeline.Tracker.Advance(end + (10 * Second));
        Assert.Equal([0UL, 0, 1, 0], Attempts(replayer.Snapshot().Quality.ToArray(), "10.99.77.11", "10.99.77.2", 8080, IpProtocol.Tcp));
        Assert.NotNull(reader);
    }

    [Fact]
    public void Synthetic_attempts_resets_and_handshake_histogram()
    {
        var replayer = new Replayer(quality: new QualityOptions());
        replayer.Run(Fixtures.Pcap("quality-synthetic.pcap"));
        var quality = replayer.Snapshot().Quality.ToArray();

        // 40001 twice (the tuple reused), 40003 (its SYN-ACK not captured), 40004 (SYN sent three times), 40008.
        var http = Single(quality, "192.0.2.1", "192.0.2.2", 80, IpProtocol.Tcp);
        Assert.Equal([5UL, 0, 0, 0], Attempts(quality, "192.0.2.1", "192.0.2.2", 80, IpProtocol.Tcp));
        Assert.Equal(1UL, http.ResetsForward);
        Assert.Equal(0UL, http.ResetsBackward);
        Assert.Equal(5UL, http.HandshakeCount);
        Assert.Equal(1_600_000 + 7_250_000 + 900_000 + 2_100_000 + 500_000, http.HandshakeSumNanoseconds);
        Assert.Equal(
            [0UL, 0, 0, 1, 1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            Enumerable.Range(0, HandshakeBuckets.Count).Select(i => http.HandshakeBuckets[i]));

        // The refusing RST is a refused attempt, not a reset, and not a handshake (tshark takes it as the initial RTT).
        var refused = Single(quality, "192.0.2.1", "192.0.2.2", 81, IpProtocol.Tcp);
        Assert.Equal([0UL, 1, 0, 0], Attempts(quality, "192.0.2.1", "192.0.2.2", 81, IpProtocol.Tcp));
        Assert.Equal((0UL, 0UL, 0UL), (refused.ResetsBackward, refused.ResetsForward, refused.HandshakeCount));

        // ICMP host unreachable quoting the SYN; ICMPv6 port unreachable quoting the UDP query.
        Assert.Equal([0UL, 0, 0, 1], Attempts(quality, "192.0.2.1", "198.51.100.9", 80, IpProtocol.Tcp));
        Assert.Equal([0UL, 0, 0, 1], Attempts(quality, "2001:db8::1", "2001:db8::3", 53, IpProtocol.Udp));
        Assert.Equal([1UL, 0, 0, 0], Attempts(quality, "2001:db8::1", "2001:db8::2", 443, IpProtocol.Tcp));
    }

    [Fact]
    public void The_decoder_reads_the_packet_an_icmp_unreachable_quotes()
    {
        var decoder = new FrameDecoder(DecoderOptions.Default);
        using var stream = File.OpenRead(Fixtures.Pcap("quality-synthetic.pcap"));
        var reader = Correlator.CaptureFiles.CaptureFileReader.Open(stream);
        var quotes = new List<string>();
        while (reader.TryReadNext(out var frame))
        {
            var packet = default(DecodedPacket);
            Assert.Equal(DecodeResult.Ip, decoder.Decode(frame.LinkType, frame.Data, ref packet));
            if (packet.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
            {
                quotes.Add($"{packet.IcmpType}/{packet.IcmpCode} {IpProtocol.Name(packet.QuotedProtocol)} {packet.QuotedSource}:{packet.QuotedSourcePort} -> {packet.QuotedDestination}:{packet.QuotedDestinationPort}");
            }
            else
            {
                Assert.Equal(0, packet.QuotedProtocol);
            }
        }

        Assert.Equal(["3/1 tcp 192.0.2.1:40006 -> 198.51.100.9:80", "1/4 udp 2001:db8::1:40007 -> 2001:db8::3:53"], quotes);
    }

    private static QualityCounters Single(QualitySample[] quality, string initiator, string target, ushort port, byte protocol) =>
        Assert.Single(quality, s => s.Key.Initiator.ToString() == initiator && s.Key.Target.ToString() == target && s.Key.TargetPort == port && s.Key.Protocol == protocol).Counters;

    private static ulong[] Attempts(QualitySample[] quality, string initiator, string target, ushort port, byte protocol)
    {
        var counters = Single(quality, initiator, target, port, protocol);
        return [.. Enumerable.Range(0, 4).Select(i => counters.Attempts[i])];
    }
}
