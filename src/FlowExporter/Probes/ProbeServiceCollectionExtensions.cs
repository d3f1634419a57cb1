using FlowExporter.Capture;
using FlowExporter.Configuration;
using FlowExporter.Kubernetes;
using FlowExporter.Sources;

namespace FlowExporter.Probes;

public static class ProbeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the probes when enabled: the peer sources, the cached results (a metrics contributor) and the probe
    /// loop. Kubernetes peers need the Kubernetes source, seeing every node's pods (no <c>kubernetes.node_filter</c>).
    /// </summary>
    public static IServiceCollection AddProbes(this IServiceCollection services, ProbeOptions options, ExporterOptions exporter, KubernetesOptions kubernetes)
    {
        if (!options.Enabled)
        {
            return services;
        }

        options = options.WithDefaultPort(exporter.Listen.Port);
        if (options.Kubernetes is { } selector)
        {
            if (!kubernetes.Enabled)
            {
                throw new ConfigException("probes.kubernetes", "needs the Kubernetes source (kubernetes.enabled, in a cluster or with a kubeconfig); list peers in probes.peers otherwise");
            }

            if (kubernetes.NodeFilter is not null)
            {
                throw new ConfigException("probes.kubernetes", "needs every node's pods, but kubernetes.node_filter lists only one node's: unset it or list peers in probes.peers");
            }

            var peers = new KubernetesPeers(selector, exporter.Node, options.Port, options.MaxPeers);
            services.AddSingleton(peers);
            services.AddSingleton<IPeerSource>(peers);
            services.AddSingleton<IPodListener>(peers);
        }

        if (options.StaticPeers.Count > 0)
        {
            services.AddSingleton<IPeerSource>(new StaticPeers(options.StaticPeers));
        }

        services.AddSingleton(new ProbeResults(exporter.Node, options.Retention, options.MaxPeers * 2));
        services.AddSingleton<IMetricsContributor>(sp => sp.GetRequiredService<ProbeResults>());
        services.AddSingleton(sp => new ProbeService(
            options,
            sp.GetServices<IPeerSource>(),
            sp.GetRequiredService<ProbeResults>(),
            new HttpProbe(options, sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<TimeProvider>(),
            exporter.Node,
            exporter.Listen.Port,
            sp.GetRequiredService<ILogger<ProbeService>>(),
            options.IncludeTraffic ? null : sp.GetService<ConnectionAccounting>(),
            sp.GetService<SourceHealth>()));
        services.AddHostedService(sp => sp.GetRequiredService<ProbeService>());
        return services;
    }
}
