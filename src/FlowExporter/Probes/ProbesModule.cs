using FlowExporter.Configuration;
using FlowExporter.Kubernetes;
using FlowExporter.Sources;

namespace FlowExporter.Probes;

/// <summary>The probes, on with <c>probes.enabled</c>; Kubernetes peers need the Kubernetes source's settings.</summary>
public sealed class ProbesModule : SourceModule<ProbeOptions>
{
    public override string Name => ProbeService.SourceName;

    protected override ProbeOptions ReadOptions(ExporterOptions options) => ProbeOptions.FromConfiguration(options.Root.GetSection("probes"));

    protected override bool IsEnabled(ProbeOptions options) => options.Enabled;

    protected override void AddServices(IServiceCollection services, ProbeOptions options, ExporterOptions exporter) =>
        services.AddProbes(options, exporter, KubernetesOptions.FromConfiguration(exporter.Root.GetSection("kubernetes")));
}
