using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>The fields of a Service that metadata uses: its ClusterIPs (none for headless Services).</summary>
public sealed record ServiceRecord(string Namespace, string Name, IReadOnlyList<IpAddress> ClusterIps);
