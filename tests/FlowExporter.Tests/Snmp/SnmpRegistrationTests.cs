using FlowExporter.Snmp;
using FlowExporter.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlowExporter.Tests.Snmp;

public sealed class SnmpRegistrationTests
{
    [Fact]
    public void Configured_targets_register_one_source_as_hosted_service_and_contributor()
    {
        var options = new SnmpOptions([new SnmpTargetOptions { Name = "sw", Host = "127.0.0.1", Community = new SnmpSecret("c") }], [], 4);
        using var provider = new ServiceCollection().AddLogging().AddSnmpSource(options).BuildServiceProvider();
        var source = provider.GetRequiredService<SnmpSource>();
        Assert.Same(source, Assert.Single(provider.GetServices<IMetricsContributor>()));
        Assert.Same(source, Assert.Single(provider.GetServices<IHostedService>()));
    }

    [Fact]
    public void No_targets_register_nothing()
    {
        var services = new ServiceCollection().AddSnmpSource(SnmpOptions.Disabled);
        Assert.Empty(services);
    }
}
