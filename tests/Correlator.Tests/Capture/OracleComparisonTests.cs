using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Tests.Support;
using Xunit.Abstractions;

namespace FlowExporter.Correlator.Tests.Capture;

/// <summary>Every shared capture, replayed: per-conversation frames and wire bytes equal tshark's own count.</summary>
public sealed class OracleComparisonTests
{
    private readonly ITestOutputHelper _output;

    public OracleComparisonTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Captures() => new(Fixtures.AllPcaps());

    [Theory]
    [MemberData(nameof(Captures))]
    public void Connection_totals_equal_tshark(string capture) => Compare(capture, decapsulate: true);

    [Theory]
    [InlineData("vxlan-http.pcap")]
    [InlineData("geneve-options-ssh.pcap")]
    [InlineData("gre-ipv4-in-ipv4.pcap")]
    public void Without_decapsulation_the_outer_conversations_equal_tshark(string capture) => Compare(capture, decapsulate: false);

    private void Compare(string capture, bool decapsulate)
    {
        var path = Fixtures.Pcap(capture);
        var (expected, orphans) = TsharkOracle.Conversations(path, decapsulate);
        var replayer = new Replayer(decoder: DecoderOptions.Default with { Decapsulate = decapsulate });
        replayer.Run(path);
        var snapshot = replayer.Snapshot();
        var actual = Ours(snapshot);
        Assert.Equal(orphans, snapshot.Interfaces.Sum(i => i.Ignored(IgnoredReason.OrphanFragment)));

        foreach (var (key, totals) in expected.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal))
        {
            _output.WriteLine($"tshark {key}: {totals}");
        }

        foreach (var (key, totals) in actual.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal))
        {
            _output.WriteLine($"ours   {key}: {totals}");
        }

        Assert.Equal(
            expected.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"),
            actual.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"));
    }

    private static Dictionary<ConversationKey, ConversationTotals> Ours(ConnectionSnapshot snapshot)
    {
        var result = new Dictionary<ConversationKey, ConversationTotals>();
        foreach (var sample in snapshot.Samples)
        {
            var key = sample.Key;
            var protocol = key.Protocol switch { IpProtocol.Tcp => "tcp", IpProtocol.Udp => "udp", _ => $"ip{key.Protocol}" };
            var initiator = key.HasInitiatorPort ? $"{key.Initiator}:{key.InitiatorPort}" : key.Initiator.ToString();
            var target = key.HasTargetPort ? $"{key.Target}:{key.TargetPort}" : key.Target.ToString();
            var conversation = ConversationKey.Of(protocol, initiator, target, out var initiatorIsA);
            var c = sample.Counters;
            var totals = initiatorIsA
                ? new ConversationTotals((long)c.ForwardPackets, (long)c.ForwardBytes, (long)c.BackwardPackets, (long)c.BackwardBytes)
                : new ConversationTotals((long)c.BackwardPackets, (long)c.BackwardBytes, (long)c.ForwardPackets, (long)c.ForwardBytes);
            if (result.TryGetValue(conversation, out var existing))
            {
                totals = new ConversationTotals(
                    existing.FramesAToB + totals.FramesAToB,
                    existing.BytesAToB + totals.BytesAToB,
                    existing.FramesBToA + totals.FramesBToA,
                    existing.BytesBToA + totals.BytesBToA);
            }

            result[conversation] = totals;
        }

        return result;
    }
}
