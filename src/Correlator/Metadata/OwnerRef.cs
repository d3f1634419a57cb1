namespace FlowExporter.Correlator.Metadata;

/// <summary>The controlling owner of a Kubernetes object, as its <c>ownerReferences</c> name it.</summary>
public sealed record OwnerRef(string Kind, string Name);
