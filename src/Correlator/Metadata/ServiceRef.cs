namespace FlowExporter.Correlator.Metadata;

/// <summary>A Kubernetes Service, named by its namespace and name.</summary>
public sealed record ServiceRef(string Namespace, string Name);
