using FlowExporter.Capture;
using FlowExporter.Endpoints;
using FlowExporter.Sources;
using Prometheus;

namespace FlowExporter.Ipfix;

public static class IpfixServiceCollectionExtensions
{
    /// <summary>
    /// Adds the IPFIX sender when collectors are configured; the connection table finds it as its sink. In
    /// <paramref name="replay"/> the replay starts and stops it (records carry the file's timestamps); served, a hosted
    /// service does.
    /// </summary>
    public static IServiceCollection AddIpfixExport(this IServiceCollection services, IpfixOptions options, string node, bool replay = false)
    {
        if (!options.Enabled)
        {
            return services;
        }

        services.AddSingleton(provider =>
        {
            var metadata = provider.GetService<EndpointMetadata>();
            var namer = new FlowRecordNamer(
                node,
                metadata is null ? null : () => metadata.Current,
                id => provider.GetRequiredService<ConnectionAccounting>().InterfaceName(id));
            return new IpfixExporter(
                options,
                namer,
                new IpfixMetrics(provider.GetRequiredService<IMetricFactory>()),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>(),
                replay,
                provider.GetService<SourceHealth>());
        });
        services.AddSingleton<FlowExporter.Correlator.Ipfix.IFlowRecordSink>(provider => provider.GetRequiredService<IpfixExporter>());
        if (replay)
        {
            services.AddSingleton<IReplaySink>(provider => provider.GetRequiredService<IpfixExporter>());
        }
        else
        {
            services.AddHostedService<IpfixService>();
        }

        return services;
    }
}
