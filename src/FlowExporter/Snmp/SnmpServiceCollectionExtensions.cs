using FlowExporter.Sources;

namespace FlowExporter.Snmp;

public static class SnmpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SNMP source (a hosted service and an <see cref="IMetricsContributor"/>) when targets are configured;
    /// does nothing otherwise. Uses <see cref="TimeProvider"/> and <see cref="SourceHealth"/> from the container when present.
    /// </summary>
    public static IServiceCollection AddSnmpSource(this IServiceCollection services, SnmpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return services;
        }

        services.AddSingleton(options);
        services.AddSingleton(sp => new SnmpSource(
            options,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<SnmpSource>>(),
            sp.GetService<SourceHealth>()));
        services.AddSingleton<IMetricsContributor>(sp => sp.GetRequiredService<SnmpSource>());
        services.AddHostedService(sp => sp.GetRequiredService<SnmpSource>());
        return services;
    }
}
