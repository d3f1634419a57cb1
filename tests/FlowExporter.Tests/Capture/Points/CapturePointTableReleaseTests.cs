using FlowExporter.Capture.Points;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Tests.Capture.Points;

/// <summary>
/// A discovered point closed is released to the capture engine (its interface id is freed once its connections have
/// left); a named interface never is: its counters go on across a link's deletion and return.
/// </summary>
public sealed class CapturePointTableReleaseTests
{
    [Fact]
    public async Task A_discovered_point_is_released_after_its_handle_closes_and_a_named_one_is_not()
    {
        var engine = new CaptureEngine(new CaptureEngineOptions());
        var released = new List<string>();
        var opener = new RegisteringOpener(engine, released);
        var table = new CapturePointTable(opener, new HashSet<string> { "eth0" }, name =>
        {
            released.Add(name);
            engine.ReleaseInterface(name);
        });

        var named = await table.OpenAsync(Point(2, "eth0"), CancellationToken.None);
        var discovered = await table.OpenAsync(Point(9, "veth9"), CancellationToken.None);
        Assert.Equal(2, engine.InterfacesInUse);

        await named.DisposeAsync();
        await discovered.DisposeAsync();
        Assert.Equal(["closed veth9", "veth9"], released.Where(r => r.Contains("veth9", StringComparison.Ordinal)));
        Assert.DoesNotContain("eth0", released);

        // No connection was counted at it: the next snapshot is its last and frees its id.
        engine.Snapshot(new ConnectionSnapshot(), advanceToNanoseconds: 1);
        Assert.Equal(1, engine.InterfacesInUse);
        Assert.Equal(["eth0", string.Empty], engine.InterfaceNames);
    }

    private static PlannedPoint Point(int index, string name) => new(index, name, CapturePointRole.PodPort, 1 << 20, ["veth*"]);

    /// <summary>Registers each point with the engine, as the libpcap and eBPF openers do, and notes when a handle closes.</summary>
    private sealed class RegisteringOpener(CaptureEngine engine, List<string> events) : ICapturePointOpener
    {
        public ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
        {
            engine.RegisterInterface(point.Name);
            return ValueTask.FromResult<ICapturePointHandle>(new Handle(() => events.Add("closed " + point.Name)));
        }
    }

    private sealed class Handle(Action closed) : ICapturePointHandle
    {
        public string Engine => "fake";

        public bool IsCapturing => true;

        public string? LastReason => null;

        public long Received => 0;

        public long KernelDropped => 0;

        public long InterfaceDropped => 0;

        public ValueTask DisposeAsync()
        {
            closed();
            return ValueTask.CompletedTask;
        }
    }
}
