using FlowExporter.Endpoints;
using FlowExporter.Sources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowExporter.Ovs;

public static class OvsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the OVS source for <paramref name="options"/>' mode as a hosted service, an <see cref="IMetricsContributor"/>
    /// and an <see cref="IOvsSource"/>. <paramref name="node"/> is the value of the <c>node</c> label. Expects
    /// <see cref="SourceHealth"/> and <see cref="TimeProvider"/> to be registered (TimeProvider.System is added if not).
    /// </summary>
    public static IServiceCollection AddOvsSource(this IServiceCollection services, OvsOptions options, string node)
    {
        services.TryAddSingleton(TimeProvider.System);
        if (options.Mode == OvsMode.Ovsdb)
        {
            services.AddSingleton<IOvsSource>(sp => new OvsdbMonitorSource(
                options, node, sp.GetRequiredService<SourceHealth>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<OvsdbMonitorSource>>()));
        }
        else
        {
            services.AddSingleton<IOvsSource>(sp => new VsctlOvsSource(
                options, node, sp.GetRequiredService<SourceHealth>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<VsctlOvsSource>>()));
        }

        services.AddSingleton<IMetricsContributor>(sp => sp.GetRequiredService<IOvsSource>());
        services.AddSingleton<IHostedService>(sp => (IHostedService)sp.GetRequiredService<IOvsSource>());
        services.AddSingleton<IEndpointIndexSource>(sp => new OvsEndpointIndexSource(sp.GetRequiredService<IOvsSource>(), node));
        services.AddEndpointMetadata();
        return services;
    }
}
