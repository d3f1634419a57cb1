using FlowExporter.Correlator.CapturePoints;
using FlowExporter.Correlator.Netlink;

namespace FlowExporter.Correlator.Tests.CapturePoints;

/// <summary>The parser against datagrams recorded from a real kernel (fixtures/netlink/record.py), and against damaged ones.</summary>
public sealed class RtnetlinkParserTests
{
    [Fact]
    public void A_link_dump_gives_every_link_with_name_state_and_kind_then_done()
    {
        var messages = NetlinkFixtures.Messages("link-dump.nlrec");

        Assert.Equal(
            [
                new RtnetlinkMessage.Link(false, new LinkInfo(1, "lo", true, LinkOperState.Unknown, null)),
                new RtnetlinkMessage.Link(false, new LinkInfo(2, "up0p", true, LinkOperState.Up, "veth")),
                new RtnetlinkMessage.Link(false, new LinkInfo(3, "up0", true, LinkOperState.Up, "veth")),
            ],
            messages.OfType<RtnetlinkMessage.Link>());
        Assert.IsType<RtnetlinkMessage.Done>(messages[^1]);
    }

    [Fact]
    public void A_route_dump_yields_the_ipv4_and_ipv6_default_routes_through_the_uplink()
    {
        var routes = NetlinkFixtures.Messages("route-dump.nlrec").OfType<RtnetlinkMessage.Route>().ToList();

        Assert.Equal(15, routes.Count);
        var defaults = routes.Where(r => r.IsDefault).ToList();
        Assert.Equal([(Rtnetlink.AfInet, 3), (Rtnetlink.AfInet6, 3)], defaults.Select(r => (r.Family, r.OutputInterfaces.Single())));
        Assert.All(routes.Where(r => r.Table == 255), r => Assert.False(r.IsDefault));
    }

    [Fact]
    public void Veth_events_from_the_kernel_read_as_added_up_down_renamed_moved_and_deleted()
    {
        Assert.Equal(
            [(false, 4, "vethrec1", false, LinkOperState.Down), (false, 5, "vethrec0", false, LinkOperState.Down)],
            Links("veth-add.nlrec"));
        Assert.Equal((false, 5, "vethrec0", true, LinkOperState.Up), Links("veth-up.nlrec")[^1]);
        Assert.Equal((false, 5, "vethrec0", false, LinkOperState.Down), Links("veth-down.nlrec")[0]);
        Assert.Equal([(false, 4, "vethren1", true, LinkOperState.LowerLayerDown)], Links("veth-rename.nlrec"));
        Assert.Equal((true, 4, "vethren1", false, LinkOperState.Down), Links("veth-move.nlrec")[^1]);
        Assert.Equal([(true, 5, "vethrec0", false, LinkOperState.Down)], Links("veth-del.nlrec"));

        var deleted = Assert.Single(NetlinkFixtures.Messages("route-del.nlrec").OfType<RtnetlinkMessage.Route>());
        Assert.True(deleted.Deleted);
        Assert.True(deleted.IsDefault);
    }

    [Fact]
    public void Every_truncation_of_a_real_datagram_is_counted_and_never_throws()
    {
        var datagram = NetlinkFixtures.Datagrams("veth-add.nlrec")[0];
        for (var length = 0; length < datagram.Length; length++)
        {
            var messages = new List<RtnetlinkMessage>();
            var malformed = RtnetlinkParser.Parse(datagram.AsSpan(0, length), messages);
            Assert.True(length == 0 ? malformed == 0 : malformed == 1, $"length {length}: {malformed} malformed");
            Assert.Empty(messages);
        }
    }

    [Fact]
    public void A_bad_message_is_skipped_and_the_good_ones_around_it_are_kept()
    {
        var link = NetlinkFixtures.Datagrams("veth-del.nlrec")[0];
        var broken = (byte[])link.Clone();
        broken[16 + 4] = 0; // ifindex 0
        broken[16 + 5] = 0;
        var datagram = link.Concat(broken).Concat(link).ToArray();

        var messages = new List<RtnetlinkMessage>();
        Assert.Equal(1, RtnetlinkParser.Parse(datagram, messages));
        Assert.Equal(2, messages.Count);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        var random = new Random(16);
        var buffer = new byte[512];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            var length = random.Next(buffer.Length);
            if (length >= 16)
            {
                // Give some a believable header so the body parsers see garbage too.
                BitConverter.TryWriteBytes(buffer.AsSpan(0, 4), (uint)random.Next(16, length + 1));
                BitConverter.TryWriteBytes(buffer.AsSpan(4, 2), (ushort)random.Next(15, 27));
            }

            RtnetlinkParser.Parse(buffer.AsSpan(0, length), new List<RtnetlinkMessage>());
        }
    }

    [Fact]
    public void An_error_message_carries_the_positive_errno()
    {
        byte[] datagram = [36, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, .. new byte[16]];
        var messages = new List<RtnetlinkMessage>();

        Assert.Equal(0, RtnetlinkParser.Parse(datagram, messages));
        Assert.Equal(new RtnetlinkMessage.Error(7, 16), Assert.Single(messages));
    }

    private static List<(bool Deleted, int Index, string Name, bool AdminUp, LinkOperState State)> Links(string fixture) =>
        [.. NetlinkFixtures.Messages(fixture).OfType<RtnetlinkMessage.Link>().Select(l => (l.Deleted, l.Info.Index, l.Info.Name, l.Info.AdminUp, l.Info.OperState))];
}
