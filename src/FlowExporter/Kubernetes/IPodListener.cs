using k8s.Models;

namespace FlowExporter.Kubernetes;

/// <summary>
/// Sees the Pods the Kubernetes source lists and watches (the same list/watch; no extra API traffic), before they are
/// reduced to metadata. Called on the watch's task: keep it quick and never throw.
/// </summary>
public interface IPodListener
{
    /// <summary>A full list: these pods are all there is now.</summary>
    void Replaced(IReadOnlyList<V1Pod> pods);

    void Upserted(V1Pod pod);

    void Deleted(V1Pod pod);
}
