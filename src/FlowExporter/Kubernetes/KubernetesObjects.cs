using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using k8s.Models;

namespace FlowExporter.Kubernetes;

/// <summary>Keeps only the fields metadata uses from API objects, so the full objects can be dropped at once.</summary>
internal static class KubernetesObjects
{
    public static PodRecord ToRecord(V1Pod pod)
    {
        var phase = pod.Status?.Phase;
        var live = phase is not ("Succeeded" or "Failed");
        var podIps = Addresses(pod.Status?.PodIPs?.Select(p => p.Ip), pod.Status?.PodIP);
        var hostIps = Addresses(pod.Status?.HostIPs?.Select(p => p.Ip), pod.Status?.HostIP);
        return new PodRecord(
            pod.Metadata?.NamespaceProperty ?? string.Empty,
            pod.Metadata?.Name ?? string.Empty,
            pod.Spec?.NodeName ?? string.Empty,
            pod.Spec?.HostNetwork == true,
            live,
            podIps,
            hostIps,
            ControllerOf(pod.Metadata));
    }

    public static ServiceRecord ToRecord(V1Service service) =>
        new(
            service.Metadata?.NamespaceProperty ?? string.Empty,
            service.Metadata?.Name ?? string.Empty,
            Addresses(service.Spec?.ClusterIPs, service.Spec?.ClusterIP));

    public static OwnedObject ToRecord(V1ReplicaSet replicaSet) =>
        new(replicaSet.Metadata?.NamespaceProperty ?? string.Empty, replicaSet.Metadata?.Name ?? string.Empty, ControllerOf(replicaSet.Metadata));

    public static OwnedObject ToRecord(V1Job job) =>
        new(job.Metadata?.NamespaceProperty ?? string.Empty, job.Metadata?.Name ?? string.Empty, ControllerOf(job.Metadata));

    /// <summary>The controlling owner (<c>controller: true</c>), else the first owner; null when there is none.</summary>
    private static OwnerRef? ControllerOf(V1ObjectMeta? metadata)
    {
        var owners = metadata?.OwnerReferences;
        if (owners is null || owners.Count == 0)
        {
            return null;
        }

        var owner = owners.FirstOrDefault(o => o.Controller == true) ?? owners[0];
        return new OwnerRef(owner.Kind ?? string.Empty, owner.Name ?? string.Empty);
    }

    /// <summary>Parses the plural list (all families) or, for old servers, the singular field; skips "None" and junk.</summary>
    private static IpAddress[] Addresses(IEnumerable<string?>? plural, string? singular)
    {
        var texts = plural?.ToList() is { Count: > 0 } list ? list : [singular];
        var result = new List<IpAddress>(texts.Count);
        foreach (var text in texts)
        {
            if (IpAddress.TryParse(text, out var address) && !result.Contains(address))
            {
                result.Add(address);
            }
        }

        return [.. result];
    }
}
