using FlowExporter.Ovs;
using FlowExporter.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.Tests.Ovs;

public sealed class OvsRegistrationTests
{
    [Theory]
    [InlineData(OvsMode.Ovsdb, typeof(OvsdbMonitorSource))]
    [InlineData(OvsMode.Vsctl, typeof(VsctlOvsSource))]
    public void AddOvsSource_registers_one_source_as_contributor_and_hosted_service(OvsMode mode, Type expected)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new SourceHealth(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())));
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        services.AddOvsSource(OvsOptions.Defaults(mode, "unix:/run/fe-none/db.sock"), "node-1");
        using var provider = services.BuildServiceProvider();

        var source = provider.GetRequiredService<IOvsSource>();
        Assert.IsType(expected, source);
        // The source and the merged endpoint metadata (OVS external_ids are a metadata source of their own).
        var contributors = provider.GetServices<IMetricsContributor>().ToList();
        Assert.Equal(2, contributors.Count);
        Assert.Contains(source, contributors);
        Assert.IsType<FlowExporter.Endpoints.EndpointMetadata>(contributors.Single(c => !ReferenceEquals(c, source)));
        Assert.IsType<OvsEndpointIndexSource>(Assert.Single(provider.GetServices<FlowExporter.Endpoints.IEndpointIndexSource>()));
        Assert.Same(source, Assert.Single(provider.GetServices<IHostedService>()));
        Assert.False(provider.GetRequiredService<SourceHealth>().IsUp(IOvsSource.SourceName));
    }
}
