namespace FlowExporter.Correlator.Metadata;

/// <summary>A ReplicaSet or Job, kept only to name the workload of the pods it owns.</summary>
public sealed record OwnedObject(string Namespace, string Name, OwnerRef? Owner);
