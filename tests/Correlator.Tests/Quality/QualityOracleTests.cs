using System.Globalization;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Tests.Support;
using Xunit.Abstractions;

namespace FlowExporter.Correlator.Tests.Quality;

/// <summary>
/// Every capture with TCP in it, replayed with quality per connection: each connection's handshake RTT equals tshark's
/// initial RTT to the nanosecond, and its retransmitted and zero-window segments per direction equal tshark's count.
/// </summary>
public sealed class QualityOracleTests
{
    private static readonly QualityOptions PerConnection = new() { Aggregation = AggregationLevel.Connection };

    private readonly ITestOutputHelper _output;

    public QualityOracleTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Captures() => new(Fixtures.AllPcaps());

    [Theory]
    [MemberData(nameof(Captures))]
    public void Handshake_rtt_retransmissions_and_zero_windows_equal_tshark(string capture)
    {
        var path = Fixtures.Pcap(capture);
        var streams = TsharkOracle.TcpStreams(path);
        var replayer = new Replayer(quality: PerConnection);
        replayer.Run(path);
        var snapshot = replayer.Snapshot();

        var expected = streams.GroupBy(s => s.Key).ToDictionary(
            g => g.Key,
            g => Describe(
                g.Sum(s => s.RetransmissionsAToB),
                g.Sum(s => s.RetransmissionsBToA),
                g.Sum(s => s.ZeroWindowAToB),
                g.Sum(s => s.ZeroWindowBToA),
                [.. g.Select(s => s.HandshakeNanoseconds).OfType<long>().Where(n => n != 0)]));
        var actual = Ours(snapshot);

        // A TCP connection tshark does not analyse (a header it rejects) has a quality series with nothing in it.
        foreach (var key in actual.Keys.Where(k => !expected.ContainsKey(k)).ToList())
        {
            Assert.Equal(Describe(0, 0, 0, 0, []), actual[key]);
            actual.Remove(key);
        }

        foreach (var stream in streams)
        {
            _output.WriteLine($"tshark stream {stream.Stream}: {stream}");
        }

        Assert.Equal(
            expected.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"),
            actual.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"));

        // The gauge of each connection series: the handshake of the last stream on its tuple.
        foreach (var sample in snapshot.Samples)
        {
            var key = sample.Key;
            if (key.Protocol != Correlator.Decoding.IpProtocol.Tcp)
            {
                continue;
            }

            var conversation = ConversationKey.Of("tcp", $"{key.Initiator}:{key.InitiatorPort}", $"{key.Target}:{key.TargetPort}", out _);
            var last = streams.Where(s => s.Key == conversation && s.HandshakeNanoseconds is > 0).Select(s => s.HandshakeNanoseconds).LastOrDefault() ?? 0;
            Assert.True(last == sample.Counters.HandshakeRttNanoseconds, $"{conversation}: tshark {last} ns, ours {sample.Counters.HandshakeRttNanoseconds} ns");
        }
    }

    private static string Describe(long retransmittedAToB, long retransmittedBToA, long zeroWindowAToB, long zeroWindowBToA, long[] handshakes) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"retransmitted A->B {retransmittedAToB} B->A {retransmittedBToA}, zero window A->B {zeroWindowAToB} B->A {zeroWindowBToA}, handshakes {handshakes.Length} sum {handshakes.Sum()} ns");

    private static Dictionary<ConversationKey, string> Ours(ConnectionSnapshot snapshot)
    {
        var totals = new Dictionary<ConversationKey, (long RAToB, long RBToA, long ZAToB, long ZBToA, long Count, long Sum)>();
        foreach (var sample in snapshot.Quality)
        {
            var key = sample.Key;
            if (key.Protocol != Correlator.Decoding.IpProtocol.Tcp)
            {
                continue;
            }

            var conversation = ConversationKey.Of("tcp", $"{key.Initiator}:{key.InitiatorPort}", $"{key.Target}:{key.TargetPort}", out var initiatorIsA);
            var c = sample.Counters;
            var t = totals.GetValueOrDefault(conversation);
            var (forwardR, backwardR, forwardZ, backwardZ) = ((long)c.RetransmittedForward, (long)c.RetransmittedBackward, (long)c.ZeroWindowForward, (long)c.ZeroWindowBackward);
            totals[conversation] = initiatorIsA
                ? (t.RAToB + forwardR, t.RBToA + backwardR, t.ZAToB + forwardZ, t.ZBToA + backwardZ, t.Count + (long)c.HandshakeCount, t.Sum + c.HandshakeSumNanoseconds)
                : (t.RAToB + backwardR, t.RBToA + forwardR, t.ZAToB + backwardZ, t.ZBToA + forwardZ, t.Count + (long)c.HandshakeCount, t.Sum + c.HandshakeSumNanoseconds);
        }

        return totals.ToDictionary(
            t => t.Key,
            t => string.Create(
                CultureInfo.InvariantCulture,
                $"retransmitted A->B {t.Value.RAToB} B->A {t.Value.RBToA}, zero window A->B {t.Value.ZAToB} B->A {t.Value.ZBToA}, handshakes {t.Value.Count} sum {t.Value.Sum} ns"));
    }
}
