using FlowExporter.Correlator.CapturePoints;
using FlowExporter.Correlator.Netlink;

namespace FlowExporter.Correlator.Tests.CapturePoints;

/// <summary>The recorded kernel sequences replayed through the link and default-route tables.</summary>
public sealed class LinkTableTests
{
    [Fact]
    public void The_recorded_veth_lifecycle_becomes_added_changed_renamed_moved_and_removed_events()
    {
        var table = new LinkTable(capacity: 64);
        var events = new List<string>();
        foreach (var fixture in new[] { "link-dump.nlrec", "veth-add.nlrec", "veth-up.nlrec", "veth-down.nlrec", "veth-rename.nlrec", "veth-move.nlrec", "veth-del.nlrec" })
        {
            foreach (var message in NetlinkFixtures.Messages(fixture).OfType<RtnetlinkMessage.Link>())
            {
                events.AddRange(table.Apply(message).Select(Describe));
            }
        }

        Assert.Equal(
            [
                "+lo#1", "+up0p#2", "+up0#3",
                "+vethrec1#4", "+vethrec0#5",
                "~vethrec0#5 usable=False", "~vethrec1#4 usable=False", "~vethrec1#4 usable=True", "~vethrec0#5 usable=True",
                "~vethrec0#5 usable=False", "~vethrec1#4 usable=False",
                "-vethrec1#4", "+vethren1#4",
                "~vethren1#4 usable=False", "-vethren1#4",
                "-vethrec0#5",
            ],
            events);
        Assert.Equal([1, 2, 3], table.Links.Keys.Order());
    }

    [Fact]
    public void A_full_table_refuses_and_counts_new_links()
    {
        var table = new LinkTable(capacity: 1);
        Assert.Single(table.Apply(Link(1, "a")));
        Assert.Empty(table.Apply(Link(2, "b")));
        Assert.Equal(1, table.Refused);
    }

    [Fact]
    public void A_resync_removes_links_the_dump_no_longer_lists()
    {
        var table = new LinkTable(capacity: 8);
        table.Apply(Link(1, "a"));
        table.Apply(Link(2, "b"));
        table.BeginResync();
        Assert.Empty(table.Apply(Link(1, "a")));
        Assert.Equal(["+c#3"], table.Apply(Link(3, "c")).Select(Describe));
        Assert.Equal(["-b#2"], table.EndResync().Select(Describe));
    }

    [Fact]
    public void Default_routes_follow_adds_deletes_and_a_link_going_away()
    {
        var routes = new DefaultRouteTable(capacity: 16);
        foreach (var route in NetlinkFixtures.Messages("route-dump.nlrec").OfType<RtnetlinkMessage.Route>())
        {
            routes.Apply(route);
        }

        Assert.Equal([3], routes.Uplinks);
        var deleted = NetlinkFixtures.Messages("route-del.nlrec").OfType<RtnetlinkMessage.Route>().Single();
        Assert.False(routes.Apply(deleted)); // the IPv6 default still leaves through 3
        Assert.Equal([3], routes.Uplinks);
        Assert.False(routes.ForgetInterface(3, removed: false)); // down: only IPv4 routes are flushed, and none is left
        Assert.True(routes.ForgetInterface(3, removed: true));
        Assert.Empty(routes.Uplinks);
    }

    [Fact]
    public void A_multipath_default_route_makes_every_next_hop_an_uplink()
    {
        var routes = new DefaultRouteTable(capacity: 16);
        Assert.True(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 0, [2, 7])));
        Assert.Equal([2, 7], routes.Uplinks.Order());
        Assert.False(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet, 0, 255, Rtnetlink.RtnUnicast, 0, [9])));
    }

    [Fact]
    public void A_replaced_default_route_moves_the_uplink_without_a_delete()
    {
        var routes = new DefaultRouteTable(capacity: 16);
        Assert.True(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 0, [2])));
        Assert.False(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet6, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 1024, [2]))); // 2 already is an uplink
        Assert.True(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 100, [5])));

        // ip route replace default ... dev 3: the kernel announces the new route with NLM_F_REPLACE and nothing else.
        Assert.True(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 0, [3], Replaces: true)));
        Assert.Equal([2, 3, 5], routes.Uplinks.Order()); // IPv6 still leaves through 2; another priority is another route
        Assert.True(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet6, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 1024, [3], Replaces: true)));
        Assert.Equal([3, 5], routes.Uplinks.Order());

        // Without the flag (ip route append, or a second route) both stay.
        Assert.True(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet6, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 1024, [2])));
        Assert.False(routes.Apply(new RtnetlinkMessage.Route(false, Rtnetlink.AfInet6, 0, Rtnetlink.RouteTableMain, Rtnetlink.RtnUnicast, 1024, [5])));
        Assert.Equal([2, 3, 5], routes.Uplinks.Order());
    }

    private static RtnetlinkMessage.Link Link(int index, string name) => new(false, new LinkInfo(index, name, true, LinkOperState.Up, null));

    private static string Describe(LinkEvent e) => e switch
    {
        LinkEvent.Added a => $"+{a.Link.Name}#{a.Link.Index}",
        LinkEvent.Removed r => $"-{r.Link.Name}#{r.Link.Index}",
        LinkEvent.Changed c => $"~{c.Link.Name}#{c.Link.Index} usable={c.Link.IsUsable}",
        _ => "?",
    };
}
