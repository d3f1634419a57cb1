using FlowExporter.Capture.Points;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Tests.Capture.Points;

/// <summary>The capture source's view of its points: named interfaces stay listed and keep counting across re-opens; discovered ones leave.</summary>
public sealed class CapturePointTableTests
{
    private readonly CountingOpener _engine = new();

    [Fact]
    public async Task A_named_interface_is_listed_while_missing_and_its_counters_go_on_across_reopens()
    {
        var table = new CapturePointTable(_engine, new HashSet<string> { "eth0" });
        var missing = Assert.Single(table.Views());
        Assert.Equal(("eth0", true, false, default(CapturePointCounters)), (missing.Name, missing.Named, missing.IsCapturing, missing.Counters));

        var first = await table.OpenAsync(Point(2, "eth0"), CancellationToken.None);
        _engine.Last.Counters = new CapturePointCounters(100, 3, 1);
        Assert.Equal(new CapturePointCounters(100, 3, 1), Assert.Single(table.Views()).Counters);
        await first.DisposeAsync();
        Assert.Null(Assert.Single(table.Views()).Handle);
        Assert.Equal(new CapturePointCounters(100, 3, 1), Assert.Single(table.Views()).Counters);

        await table.OpenAsync(Point(7, "eth0"), CancellationToken.None);
        _engine.Last.Counters = new CapturePointCounters(5, 0, 0);
        var reopened = Assert.Single(table.Views());
        Assert.True(reopened.IsCapturing);
        Assert.Equal(new CapturePointCounters(105, 3, 1), reopened.Counters);
    }

    [Fact]
    public async Task A_discovered_point_leaves_with_its_counters_and_comes_back_from_zero()
    {
        var table = new CapturePointTable(_engine, new HashSet<string>());
        var handle = await table.OpenAsync(Point(9, "veth9"), CancellationToken.None);
        _engine.Last.Counters = new CapturePointCounters(50, 0, 0);
        var open = Assert.Single(table.Views());
        Assert.Equal(("veth9", false, true, 50L), (open.Name, open.Named, open.IsCapturing, open.Counters.Received));

        await handle.DisposeAsync();
        Assert.Empty(table.Views());
        Assert.True(_engine.Last.Disposed);

        await table.OpenAsync(Point(10, "veth9"), CancellationToken.None);
        Assert.Equal(0, Assert.Single(table.Views()).Counters.Received);
    }

    private static PlannedPoint Point(int index, string name) => new(index, name, CapturePointRole.PodPort, 1 << 20, ["veth*"]);

    private sealed class CountingOpener : ICapturePointOpener
    {
        public FakeHandle Last { get; private set; } = new();

        public ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
        {
            Last = new FakeHandle();
            return ValueTask.FromResult<ICapturePointHandle>(Last);
        }
    }

    private sealed class FakeHandle : ICapturePointHandle
    {
        public CapturePointCounters Counters { get; set; }

        public bool Disposed { get; private set; }

        public string Engine => "fake";

        public bool IsCapturing => !Disposed;

        public string? LastReason => null;

        public long Received => Counters.Received;

        public long KernelDropped => Counters.KernelDropped;

        public long InterfaceDropped => Counters.InterfaceDropped;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
