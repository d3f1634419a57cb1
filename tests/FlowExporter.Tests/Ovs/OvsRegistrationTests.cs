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
        Assert.Same(source, Assert.Single(provider.GetServices<IMetricsContributor>()));
        Assert.Same(source, Assert.Single(provider.GetServices<IHostedService>()));
        Assert.False(provider.GetRequiredService<SourceHealth>().IsUp(IOvsSource.SourceName));
    }
}
