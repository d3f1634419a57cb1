using FlowExporter.Configuration;
using FlowExporter.Endpoints;
using FlowExporter.Sources;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowExporter.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Kubernetes source (a hosted service, an <see cref="IEndpointIndexSource"/> and a metrics
    /// contributor) when enabled. The client configuration is read now, so a broken kubeconfig stops the start.
    /// Expects <see cref="SourceHealth"/> to be registered by the host (TimeProvider.System is added if no TimeProvider is).
    /// </summary>
    public static IServiceCollection AddKubernetesSource(this IServiceCollection services, KubernetesOptions options)
    {
        if (!options.Enabled)
        {
            return services;
        }

        var configuration = BuildClientConfiguration(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(configuration));
        services.AddSingleton<KubernetesSource>();
        services.AddHostedService(sp => sp.GetRequiredService<KubernetesSource>());
        services.AddSingleton<IEndpointIndexSource>(sp => sp.GetRequiredService<KubernetesSource>());
        services.AddSingleton<IMetricsContributor>(sp => sp.GetRequiredService<KubernetesSource>());
        services.AddEndpointMetadata();
        return services;
    }

    internal static KubernetesClientConfiguration BuildClientConfiguration(KubernetesOptions options)
    {
        try
        {
            return options.Kubeconfig is { } path
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
                : KubernetesClientConfiguration.InClusterConfig();
        }
        catch (Exception ex)
        {
            // The client's messages name files and contexts, never credentials; keep only the type and that message.
            var key = options.Kubeconfig is null ? "kubernetes.enabled" : "kubernetes.kubeconfig";
            throw new ConfigException(key, $"cannot build the client configuration ({ex.GetType().Name}: {ex.Message})");
        }
    }
}
