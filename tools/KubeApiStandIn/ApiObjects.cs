using k8s.Models;

namespace KubeApiStandIn;

/// <summary>Builds the typed API objects (as a real API server would return them) from the lab's brief.</summary>
internal static class ApiObjects
{
    private static readonly Dictionary<string, string> OwnerApiVersions = new(StringComparer.Ordinal)
    {
        ["ReplicaSet"] = "apps/v1",
        ["StatefulSet"] = "apps/v1",
        ["DaemonSet"] = "apps/v1",
        ["Deployment"] = "apps/v1",
        ["Job"] = "batch/v1",
        ["CronJob"] = "batch/v1",
    };

    public static V1Pod Pod(LabPod pod, string resourceVersion, DateTime created) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = Metadata(pod.Namespace, pod.Name, pod.Owner, resourceVersion, created),
        Spec = new V1PodSpec
        {
            NodeName = pod.Node,
            Containers = [new V1Container { Name = "main", Image = "registry.example/lab:1" }],
        },
        Status = new V1PodStatus
        {
            Phase = "Running",
            HostIP = pod.HostIp,
            HostIPs = [new V1HostIP { Ip = pod.HostIp }],
            PodIP = pod.Ips.Count > 0 ? pod.Ips[0] : null,
            PodIPs = pod.Ips.Select(ip => new V1PodIP { Ip = ip }).ToList(),
        },
    };

    public static V1ReplicaSet ReplicaSet(LabOwned owned, string resourceVersion, DateTime created) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "ReplicaSet",
        Metadata = Metadata(owned.Namespace, owned.Name, owned.Owner, resourceVersion, created),
        Spec = new V1ReplicaSetSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = owned.Name } } },
    };

    public static V1Job Job(LabOwned owned, string resourceVersion, DateTime created) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = Metadata(owned.Namespace, owned.Name, owned.Owner, resourceVersion, created),
        Spec = new V1JobSpec { Template = new V1PodTemplateSpec() },
    };

    public static V1Service Service(LabService service, string resourceVersion, DateTime created) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(service.Namespace, service.Name, null, resourceVersion, created),
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = service.ClusterIp,
            ClusterIPs = [service.ClusterIp],
            Ports = [new V1ServicePort { Port = service.Port, Protocol = "TCP" }],
        },
    };

    private static V1ObjectMeta Metadata(string ns, string name, LabOwner? owner, string resourceVersion, DateTime created) => new()
    {
        Name = name,
        NamespaceProperty = ns,
        Uid = Uid(ns, name),
        ResourceVersion = resourceVersion,
        CreationTimestamp = created,
        Labels = new Dictionary<string, string> { ["app"] = name },
        OwnerReferences = owner is null
            ? null
            :
            [
                new V1OwnerReference
                {
                    ApiVersion = OwnerApiVersions.GetValueOrDefault(owner.Kind, "v1"),
                    Kind = owner.Kind,
                    Name = owner.Name,
                    Uid = Uid(ns, owner.Kind + "/" + owner.Name),
                    BlockOwnerDeletion = true,
                    Controller = true,
                },
            ],
    };

    /// <summary>A stable UID per object, so owner references and relists agree across restarts.</summary>
    private static string Uid(string ns, string name)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ns + "/" + name));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }
}
