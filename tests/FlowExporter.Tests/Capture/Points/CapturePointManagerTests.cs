using System.Threading.Channels;
using FlowExporter.Capture.Points;
using FlowExporter.Correlator.CapturePoints;
using FlowExporter.Correlator.Netlink;
using FlowExporter.TestSupport.CapturePoints;
using Microsoft.Extensions.Logging;

namespace FlowExporter.Tests.Capture.Points;

/// <summary>The manager fed link updates as the watcher publishes them, with an opener that records its decisions.</summary>
public sealed class CapturePointManagerTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly Channel<LinkWatchUpdate> _updates = Channel.CreateUnbounded<LinkWatchUpdate>();
    private readonly RecordingOpener _opener = new(TimeProvider.System);
    private readonly ListLogger _log = new();
    private CancellationTokenSource _stop = new();
    private readonly Dictionary<int, LinkInfo> _links = [];
    private int[] _uplinks = [];
    private readonly HashSet<CapturePointKey> _deletedInKernel = [];
    private CapturePointManager _manager = null!;
    private Task _run = Task.CompletedTask;

    public Task InitializeAsync()
    {
        Start(CaptureSelectors.Parse(["veth*", "!veth-test*"], ["uplinks", "ovs_pod_ports"]), CapturePointPolicy.Default);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
        Assert.Equal(0, _opener.OpenCount); // stopping closes every point
    }

    [Fact]
    public async Task Opens_matching_links_as_they_appear_and_closes_a_deleted_one_with_one_info_line()
    {
        Publish(Add(Link(2, "eth0")), uplinks: [2]);
        Publish(Add(Link(6, "veth1a")));
        Publish(Add(Link(7, "veth-test1")));
        Assert.Equal(("open", "eth0"), await Next());
        Assert.Equal(("open", "veth1a"), await Next());

        Publish(Remove(6));
        Assert.Equal(("close", "veth1a"), await Next());
        await Until(() => _manager.Status.Open.Count == 1);

        Assert.Equal(["eth0"], _opener.OpenNames);
        var closeLines = _log.Lines.Where(l => l.Text.Contains("veth1a") && l.Text.Contains("closed")).ToList();
        var line = Assert.Single(closeLines);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("capture point veth1a (ifindex 6) closed: the link is gone (deleted, renamed or moved to another namespace)", line.Text);
        Assert.DoesNotContain(_log.Lines, l => l.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_link_that_goes_down_is_closed_and_resumes_when_it_comes_up()
    {
        Publish(Add(Link(6, "veth1a")));
        Assert.Equal(("open", "veth1a"), await Next());

        Publish(Change(Link(6, "veth1a") with { OperState = LinkOperState.LowerLayerDown }));
        Assert.Equal(("close", "veth1a"), await Next());
        await Until(() => _manager.Status.Waiting.Count == 1);
        Assert.Contains(_log.Lines, l => l.Text == "capture point veth1a (ifindex 6) closed: the link is down (opened again when it comes up)");

        Publish(Change(Link(6, "veth1a")));
        Assert.Equal(("open", "veth1a"), await Next());
    }

    [Fact]
    public async Task A_link_deleted_while_its_down_message_is_read_is_said_gone_in_its_one_close_line()
    {
        Publish(Add(Link(6, "veth1a")));
        Assert.Equal(("open", "veth1a"), await Next());

        // Deleting a link sends RTM_NEWLINK (down) and then RTM_DELLINK; by the time the first is read the link is gone.
        _deletedInKernel.Add(new CapturePointKey(6, "veth1a"));
        Publish(Change(Link(6, "veth1a") with { OperState = LinkOperState.Down }));
        Assert.Equal(("close", "veth1a"), await Next());
        Publish(Remove(6));
        await Until(() => _manager.Status.Waiting.Count == 0 && _manager.Status.Open.Count == 0);

        var line = Assert.Single(_log.Lines, l => l.Text.Contains("veth1a") && l.Text.Contains("closed"));
        Assert.Equal("capture point veth1a (ifindex 6) closed: the link is gone (deleted, renamed or moved to another namespace)", line.Text);
    }

    [Fact]
    public async Task A_rename_closes_the_old_point_and_opens_the_new_name()
    {
        Publish(Add(Link(6, "veth1a")));
        Assert.Equal(("open", "veth1a"), await Next());

        _links[6] = Link(6, "vethren");
        Publish(new LinkEvent.Removed(Link(6, "veth1a")), new LinkEvent.Added(_links[6]));
        Assert.Equal(("close", "veth1a"), await Next());
        Assert.Equal(("open", "vethren"), await Next());
    }

    [Fact]
    public async Task A_failed_open_is_not_retried_until_the_link_changes()
    {
        _opener.Failing.Add("veth9");
        Publish(Add(Link(9, "veth9")));
        Assert.Equal(("fail", "veth9"), await Next());

        Publish(Add(Link(10, "veth10")));
        Assert.Equal(("open", "veth10"), await Next()); // no second attempt at veth9 on an unrelated update

        _opener.Failing.Clear();
        Publish(Change(Link(9, "veth9") with { OperState = LinkOperState.Down }));
        Publish(Change(Link(9, "veth9")));
        Assert.Equal(("open", "veth9"), await Next());
        Assert.Equal(1, _manager.FailedOpens);
        Assert.Single(_log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("veth9"));
    }

    [Fact]
    public async Task Ovs_pod_ports_open_when_the_ovs_source_names_them_and_close_when_it_stops()
    {
        Publish(Add(Link(20, "abcd1234ef56")));
        await Until(() => _manager.Status.PointsBySelector.Count > 0);
        Assert.Equal(0, _opener.OpenCount);

        _manager.UpdateOvsPodPorts(new HashSet<string> { "abcd1234ef56" });
        Assert.Equal(("open", "abcd1234ef56"), await Next());
        await Until(() => _manager.Status.Open.Count == 1); // the opener records before the manager publishes its status
        Assert.Equal(CapturePointRole.PodPort, _manager.Status.Open.Single().Role);

        _manager.UpdateOvsPodPorts(new HashSet<string>());
        Assert.Equal(("close", "abcd1234ef56"), await Next());
        Assert.Contains(_log.Lines, l => l.Text == "capture point abcd1234ef56 (ifindex 20) closed: no longer selected");
    }

    [Fact]
    public async Task Points_over_max_points_are_counted_never_opened_and_logged_once()
    {
        await DisposeAsync();
        Start(CaptureSelectors.Parse(["veth*"], []), CapturePointPolicy.Default with { MaxPoints = 2 });
        Publish(Add(Link(6, "veth1")), Add(Link(7, "veth2")), Add(Link(8, "veth3")));
        Publish(Add(Link(9, "veth4")));
        Assert.Equal(("open", "veth1"), await Next());
        Assert.Equal(("open", "veth2"), await Next());
        await Until(() => _manager.Status.OverLimit == 2);

        Assert.Equal(2, _opener.OpenCount);
        Assert.Single(_log.Lines, l => l.Text.Contains("veth3") && l.Text.Contains("max_points"));
        Assert.Single(_log.Lines, l => l.Text.Contains("veth4") && l.Text.Contains("max_points"));
    }

    [Fact]
    public async Task A_selector_that_matches_nothing_is_one_warning_and_a_count_of_0_not_an_error()
    {
        await DisposeAsync();
        Start(CaptureSelectors.Parse(["veth*", "cali*"], ["uplinks"]), CapturePointPolicy.Default);
        Publish(Add(Link(6, "veth1")));
        Assert.Equal(("open", "veth1"), await Next());
        await Until(() => _manager.Status.PointsBySelector.Count == 3);
        Publish(Add(Link(7, "veth2")));
        Assert.Equal(("open", "veth2"), await Next());
        await Until(() => _manager.Status.Open.Count == 2);

        Assert.Equal(2, _manager.Status.PointsBySelector["veth*"]);
        Assert.Equal(0, _manager.Status.PointsBySelector["cali*"]);
        Assert.Equal(0, _manager.Status.PointsBySelector["discover:uplinks"]);
        var warnings = _log.Lines.Where(l => l.Level == LogLevel.Warning).Select(l => l.Text).Order().ToList();
        Assert.Equal(
            [
                "capture point selector 'cali*' matches no interface yet (points by selector: 0)",
                "capture point selector 'discover:uplinks' matches no interface yet (points by selector: 0)",
            ],
            warnings);
        Assert.DoesNotContain(_log.Lines, l => l.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_glob_and_a_name_matching_the_same_interface_open_it_once()
    {
        await DisposeAsync();
        Start(CaptureSelectors.Parse(["veth*", "veth1", "v?th1"], []), CapturePointPolicy.Default);
        Publish(Add(Link(6, "veth1")), Add(Link(7, "veth2")));
        Assert.Equal(("open", "veth1"), await Next());
        Assert.Equal(("open", "veth2"), await Next());
        await Until(() => _manager.Status.Open.Count == 2);

        Assert.Equal(2, _opener.OpenCount);
        Assert.Equal(["veth1", "veth2"], _opener.OpenNames.Order());
        Assert.Equal(["veth*", "veth1", "v?th1"], _manager.Status.Open.Single(p => p.Name == "veth1").Selectors);
        Assert.Equal(1, _manager.Status.PointsBySelector["veth1"]);
        Assert.Equal(2, _manager.Status.PointsBySelector["veth*"]);
        Assert.False(_opener.Decisions.TryRead(out _), "no second open of either interface");
    }

    private void Start(CaptureSelectors selectors, CapturePointPolicy policy)
    {
        _stop = new CancellationTokenSource();
        _manager = new CapturePointManager(selectors, policy, _opener, _log, key => !_deletedInKernel.Contains(key));
        _run = _manager.RunAsync(_updates.Reader, _stop.Token);
    }

    private LinkEvent.Added Add(LinkInfo link)
    {
        _links[link.Index] = link;
        return new LinkEvent.Added(link);
    }

    private LinkEvent.Changed Change(LinkInfo link)
    {
        var previous = _links[link.Index];
        _links[link.Index] = link;
        return new LinkEvent.Changed(previous, link);
    }

    private LinkEvent.Removed Remove(int index)
    {
        _links.Remove(index, out var link);
        return new LinkEvent.Removed(link!);
    }

    private void Publish(params LinkEvent[] events) => Publish(events, _uplinks);

    private void Publish(LinkEvent linkEvent, int[] uplinks) => Publish([linkEvent], uplinks);

    private void Publish(LinkEvent[] events, int[] uplinks)
    {
        _uplinks = uplinks;
        _updates.Writer.TryWrite(new LinkWatchUpdate(events, new Dictionary<int, LinkInfo>(_links), uplinks.ToHashSet(), uplinks.Length > 0, 0));
    }

    private async Task<(string Action, string Name)> Next()
    {
        using var timeout = new CancellationTokenSource(Wait);
        var (action, point, _) = await _opener.Decisions.ReadAsync(timeout.Token);
        return (action, point.Name);
    }

    private static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private static LinkInfo Link(int index, string name) => new(index, name, AdminUp: true, LinkOperState.Up, "veth");
}
