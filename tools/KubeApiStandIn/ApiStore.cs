using k8s;

namespace KubeApiStandIn;

/// <summary>
/// The cluster state served: every object gets its own increasing resourceVersion in load order; the collection's
/// resourceVersion is the highest. The state does not change while serving, so watches carry only bookmarks.
/// </summary>
internal sealed class ApiStore
{
    private readonly Dictionary<string, ApiResource> _byPath;

    private ApiStore(Dictionary<string, ApiResource> byPath, long resourceVersion)
    {
        _byPath = byPath;
        ResourceVersion = resourceVersion;
    }

    public long ResourceVersion { get; }

    public IEnumerable<string> Paths => _byPath.Keys;

    public static ApiStore From(LabObjects objects, DateTime created)
    {
        long version = 100;
        string Next() => (++version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ApiItem Item(object item, string? node) => new(KubernetesJson.Serialize(item), node, version);

        var pods = objects.Pods.Select(p => Item(ApiObjects.Pod(p, Next(), created), p.Node)).ToList();
        var services = objects.Services.Select(s => Item(ApiObjects.Service(s, Next(), created), null)).ToList();
        var replicaSets = objects.ReplicaSets.Select(r => Item(ApiObjects.ReplicaSet(r, Next(), created), null)).ToList();
        var jobs = objects.Jobs.Select(j => Item(ApiObjects.Job(j, Next(), created), null)).ToList();
        var byPath = new Dictionary<string, ApiResource>(StringComparer.Ordinal)
        {
            ["/api/v1/pods"] = new("v1", "Pod", pods),
            ["/api/v1/services"] = new("v1", "Service", services),
            ["/apis/apps/v1/replicasets"] = new("apps/v1", "ReplicaSet", replicaSets),
            ["/apis/batch/v1/jobs"] = new("batch/v1", "Job", jobs),
        };
        return new ApiStore(byPath, version);
    }

    public ApiResource? Find(string path) => _byPath.GetValueOrDefault(path);
}
