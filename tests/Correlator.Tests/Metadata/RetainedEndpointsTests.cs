using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Correlator.Tests.Metadata;

public sealed class RetainedEndpointsTests
{
    private static readonly NetworkEndpoint Pod = new("shop", "web", "node-a", WorkloadKinds.Pod, "web", false, EndpointSource.Kubernetes);

    [Fact]
    public void Drops_the_oldest_when_full_and_counts_it()
    {
        var clock = new FakeTimeProvider();
        var retained = new RetainedEndpoints(TimeSpan.FromMinutes(2), capacity: 2);
        retained.Retain("a", Pod, [IpAddress.Parse("10.0.0.1")], clock.GetUtcNow());
        retained.Retain("b", Pod, [IpAddress.Parse("10.0.0.2")], clock.GetUtcNow());
        retained.Retain("c", Pod, [IpAddress.Parse("10.0.0.3")], clock.GetUtcNow());

        Assert.Equal(2, retained.Count);
        Assert.Equal(1, retained.Evicted);
        Assert.Equal(["10.0.0.2", "10.0.0.3"], retained.Entries.Select(e => e.Addresses[0].ToString()));
        Assert.All(retained.Entries, e => Assert.True(e.Endpoint.Retained));
    }

    [Fact]
    public void Expires_after_the_grace_period_in_order()
    {
        var clock = new FakeTimeProvider();
        var retained = new RetainedEndpoints(TimeSpan.FromMinutes(2), capacity: 10);
        retained.Retain("a", Pod, [IpAddress.Parse("10.0.0.1")], clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(1));
        retained.Retain("b", Pod, [IpAddress.Parse("10.0.0.2")], clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(1));
        retained.Expire(clock.GetUtcNow());
        Assert.Equal(["10.0.0.2"], retained.Entries.Select(e => e.Addresses[0].ToString()));
        clock.Advance(TimeSpan.FromMinutes(1));
        retained.Expire(clock.GetUtcNow());
        Assert.Equal(0, retained.Count);
    }

    [Fact]
    public void Zero_grace_or_capacity_retains_nothing()
    {
        var none = new RetainedEndpoints(TimeSpan.Zero, 10);
        none.Retain("a", Pod, [IpAddress.Parse("10.0.0.1")], DateTimeOffset.UnixEpoch);
        Assert.Equal(0, none.Count);
        var full = new RetainedEndpoints(TimeSpan.FromMinutes(1), 0);
        full.Retain("a", Pod, [IpAddress.Parse("10.0.0.1")], DateTimeOffset.UnixEpoch);
        Assert.Equal(0, full.Count);
    }
}
