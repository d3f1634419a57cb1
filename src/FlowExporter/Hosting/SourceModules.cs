using FlowExporter.Capture;
using FlowExporter.Endpoints;
using FlowExporter.Kubernetes;
using FlowExporter.Ovs;
using FlowExporter.Probes;
using FlowExporter.Snmp;
using FlowExporter.Sources;

namespace FlowExporter.Hosting;

/// <summary>Every source the exporter has: adding one is a folder with its module, and one line here (docs/sources.md).</summary>
public static class SourceModules
{
    public static IReadOnlyList<ISourceModule> All { get; } =
    [
        new CaptureModule(),
        new OvsModule(),
        new SnmpModule(),
        new KubernetesModule(),
        new EndpointsFileModule(),
        new ProbesModule(),
    ];
}
