using FlowExporter.Endpoints;
using FlowExporter.Ipfix;
using FlowExporter.Kubernetes;
using FlowExporter.Ovs;
using FlowExporter.Probes;
using FlowExporter.Snmp;

namespace FlowExporter.Hosting;

/// <summary>
/// The sources' sections of the configuration, read and validated together at start (before a replay as before
/// serving), so that a typo or a wrong value in any section stops the process with exit code 2 and one line.
/// </summary>
public sealed record SourceConfiguration(
    OvsOptions? Ovs,
    SnmpOptions Snmp,
    KubernetesOptions Kubernetes,
    EndpointsFileOptions EndpointsFile,
    ProbeOptions Probes,
    IpfixOptions Ipfix)
{
    /// <param name="node">The node's name (the IPFIX observation domain is derived from it unless configured).</param>
    public static SourceConfiguration FromConfiguration(IConfiguration root, string node, Func<string, string?>? environment = null) =>
        new(
            OvsOptions.FromConfiguration(root.GetSection("ovs")),
            SnmpOptions.FromConfiguration(root.GetSection("snmp"), environment),
            KubernetesOptions.FromConfiguration(root.GetSection("kubernetes"), environment),
            EndpointsFileOptions.FromConfiguration(root),
            ProbeOptions.FromConfiguration(root.GetSection("probes")),
            IpfixOptions.FromConfiguration(root.GetSection("ipfix"), node));
}
