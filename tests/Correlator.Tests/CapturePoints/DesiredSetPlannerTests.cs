using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Tests.CapturePoints;

public sealed class DesiredSetPlannerTests
{
    private static readonly CapturePointPolicy Policy = new(MaxPoints: 512, UplinkBufferBytes: 16 << 20, PodPortBufferBytes: 1 << 20);

    private static readonly LinkInfo[] Node =
    [
        Up(1, "lo", kind: null, LinkOperState.Unknown),
        Up(2, "eth0", kind: null),
        Up(3, "ovs-system", kind: "openvswitch"),
        Up(4, "br-int", kind: "openvswitch"),
        Up(5, "ovn-k8s-mp0", kind: "openvswitch"),
        Up(6, "veth1a", kind: "veth"),
        Up(7, "veth2b", kind: "veth"),
        Up(8, "veth-test1", kind: "veth"),
        new LinkInfo(9, "veth3c", AdminUp: true, LinkOperState.LowerLayerDown, "veth"),
        Up(10, "cali0123", kind: "veth"),
        Up(11, "eth1", kind: null),
    ];

    [Fact]
    public void Discovery_alone_opens_pod_ports_and_uplinks_with_their_ring_sizes()
    {
        var plan = Plan([], ["ovs_pod_ports", "uplinks"], podPorts: ["veth1a", "veth2b", "gone0"], uplinks: [2, 11]);

        Assert.Equal(
            [
                new(2, "eth0", CapturePointRole.Uplink, 16 << 20, ["discover:uplinks"]),
                new(6, "veth1a", CapturePointRole.PodPort, 1 << 20, ["discover:ovs_pod_ports"]),
                new(7, "veth2b", CapturePointRole.PodPort, 1 << 20, ["discover:ovs_pod_ports"]),
                new(11, "eth1", CapturePointRole.Uplink, 16 << 20, ["discover:uplinks"]),
            ],
            plan.Points,
            PointComparer.Instance);
        Assert.Empty(plan.Waiting);
        Assert.Empty(plan.OverLimit);
        Assert.Equal(new Dictionary<string, int> { ["discover:ovs_pod_ports"] = 2, ["discover:uplinks"] = 2 }, plan.PointsBySelector);
    }

    [Fact]
    public void A_glob_and_a_name_matching_one_interface_open_it_once_with_both_selectors()
    {
        var plan = Plan(["veth*", "veth1a", "!veth-test*"], ["ovs_pod_ports"], podPorts: ["veth1a"], uplinks: []);

        Assert.Equal(
            [
                new(6, "veth1a", CapturePointRole.Uplink, 16 << 20, ["veth*", "veth1a", "discover:ovs_pod_ports"]),
                new(7, "veth2b", CapturePointRole.PodPort, 1 << 20, ["veth*"]),
            ],
            plan.Points,
            PointComparer.Instance);
        Assert.Equal([9], plan.Waiting.Select(p => p.Index));
        Assert.Equal(
            new Dictionary<string, int> { ["veth*"] = 2, ["veth1a"] = 1, ["discover:ovs_pod_ports"] = 1 },
            plan.PointsBySelector);
    }

    [Fact]
    public void An_exclude_wins_over_discovery()
    {
        var plan = Plan(["!eth1"], ["uplinks"], podPorts: [], uplinks: [2, 11]);

        Assert.Equal(["eth0"], plan.Points.Select(p => p.Name));
    }

    [Fact]
    public void A_selector_that_matches_nothing_reports_zero()
    {
        var plan = Plan(["lxc*", "eth0"], [], podPorts: [], uplinks: []);

        Assert.Equal(["eth0"], plan.Points.Select(p => p.Name));
        Assert.Equal(new Dictionary<string, int> { ["lxc*"] = 0, ["eth0"] = 1 }, plan.PointsBySelector);
    }

    [Fact]
    public void Plain_names_keep_working_as_today()
    {
        var plan = Plan(["eth0", "lo"], [], podPorts: [], uplinks: []);

        Assert.Equal([(1, "lo", CapturePointRole.Uplink), (2, "eth0", CapturePointRole.Uplink)], plan.Points.Select(p => (p.Index, p.Name, p.Role)));
    }

    [Fact]
    public void Points_over_max_points_are_listed_never_opened_and_uplinks_are_admitted_first()
    {
        var plan = DesiredSetPlanner.Plan(
            CaptureSelectors.Parse(["veth*", "cali*"], ["uplinks"]),
            Policy with { MaxPoints = 3 },
            Node,
            new HashSet<string>(),
            new HashSet<int> { 11 });

        // eth1 (uplink) first, then the oldest matching links by index: veth1a, veth2b; the rest wait outside the bound.
        Assert.Equal(["veth1a", "veth2b", "eth1"], plan.Points.Select(p => p.Name));
        Assert.Equal(["veth-test1", "veth3c", "cali0123"], plan.OverLimit.Select(p => p.Name));
        Assert.Empty(plan.Waiting);
    }

    [Fact]
    public void A_down_link_waits_and_counts_toward_the_bound()
    {
        var plan = DesiredSetPlanner.Plan(CaptureSelectors.Parse(["veth3c", "cali*"], []), Policy with { MaxPoints = 1 }, Node, new HashSet<string>(), new HashSet<int>());

        Assert.Empty(plan.Points);
        Assert.Equal(["veth3c"], plan.Waiting.Select(p => p.Name));
        Assert.Equal(["cali0123"], plan.OverLimit.Select(p => p.Name));
    }

    private static DesiredSet Plan(string[] interfaces, string[] discover, string[] podPorts, int[] uplinks) =>
        DesiredSetPlanner.Plan(CaptureSelectors.Parse(interfaces, discover), Policy, Node, podPorts.ToHashSet(), uplinks.ToHashSet());

    private static LinkInfo Up(int index, string name, string? kind, LinkOperState state = LinkOperState.Up) =>
        new(index, name, AdminUp: true, state, kind);

    private sealed class PointComparer : IEqualityComparer<PlannedPoint>
    {
        public static readonly PointComparer Instance = new();

        public bool Equals(PlannedPoint? x, PlannedPoint? y) =>
            x is not null && y is not null && x with { Selectors = [] } == y with { Selectors = [] } && x.Selectors.SequenceEqual(y.Selectors);

        public int GetHashCode(PlannedPoint obj) => obj.Index;
    }
}
