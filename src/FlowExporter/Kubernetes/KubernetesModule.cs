using FlowExporter.Configuration;
using FlowExporter.Sources;

namespace FlowExporter.Kubernetes;

/// <summary>The Kubernetes metadata source, on with <c>kubernetes.enabled</c>.</summary>
public sealed class KubernetesModule : SourceModule<KubernetesOptions>
{
    public override string Name => KubernetesSource.SourceName;

    protected override KubernetesOptions ReadOptions(ExporterOptions options) => KubernetesOptions.FromConfiguration(options.Root.GetSection("kubernetes"));

    protected override bool IsEnabled(KubernetesOptions options) => options.Enabled;

    protected override void AddServices(IServiceCollection services, KubernetesOptions options, ExporterOptions exporter) =>
        services.AddKubernetesSource(options);
}
