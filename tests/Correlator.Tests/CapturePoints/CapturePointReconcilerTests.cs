using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Tests.CapturePoints;

public sealed class CapturePointReconcilerTests
{
    private static readonly CaptureSelectors Veths = CaptureSelectors.Parse(["veth*"], []);

    [Fact]
    public void Opens_new_points_and_closes_gone_down_and_deselected_ones_with_their_reason()
    {
        LinkInfo[] links =
        [
            new(6, "veth1a", true, LinkOperState.Up, "veth"),
            new(7, "veth2b", true, LinkOperState.Down, "veth"),
            new(8, "vethren", true, LinkOperState.Up, "veth"),
            new(9, "eth9", true, LinkOperState.Up, null),
        ];
        var desired = DesiredSetPlanner.Plan(Veths, CapturePointPolicy.Default, links, new HashSet<string>(), new HashSet<int>());
        var open = new HashSet<CapturePointKey> { new(5, "veth0"), new(7, "veth2b"), new(8, "veth8"), new(9, "eth9"), new(6, "veth1a") };

        var decisions = CapturePointReconciler.Reconcile(open, desired, links.ToDictionary(l => l.Index));

        Assert.Equal(
            [
                new CapturePointDecision.Close(new(5, "veth0"), CloseReason.Gone),
                new CapturePointDecision.Close(new(7, "veth2b"), CloseReason.Down),
                new CapturePointDecision.Close(new(8, "veth8"), CloseReason.Gone),
                new CapturePointDecision.Close(new(9, "eth9"), CloseReason.Deselected),
                new CapturePointDecision.Open(desired.Points.Single(p => p.Name == "vethren")),
            ],
            decisions);
    }

    [Fact]
    public void Nothing_to_do_when_open_matches_desired()
    {
        LinkInfo[] links = [new(6, "veth1a", true, LinkOperState.Up, "veth")];
        var desired = DesiredSetPlanner.Plan(Veths, CapturePointPolicy.Default, links, new HashSet<string>(), new HashSet<int>());

        Assert.Empty(CapturePointReconciler.Reconcile(new HashSet<CapturePointKey> { new(6, "veth1a") }, desired, links.ToDictionary(l => l.Index)));
    }
}
