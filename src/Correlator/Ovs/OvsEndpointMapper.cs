namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// Maps an interface's external_ids to a pod, per CNI convention:
/// Antrea <c>pod-name</c>/<c>pod-namespace</c> (+ <c>ip</c>, <c>attached-mac</c>);
/// Kube-OVN <c>pod_name</c>/<c>pod_namespace</c> (+ <c>ip</c>);
/// OVN-Kubernetes <c>iface-id</c> = <c>&lt;namespace&gt;_&lt;pod&gt;</c> (+ <c>attached-mac</c>; the namespace is a DNS
/// label, so it holds no underscore and the first one splits);
/// an <c>iface-id</c> that is a UUID is OpenStack-style and stays unmapped (kept for metadata).
/// Explicit pod keys win over an <c>iface-id</c>. Values that are not valid Kubernetes names are not trusted.
/// </summary>
public static class OvsEndpointMapper
{
    public static OvsEndpoint Map(IReadOnlyDictionary<string, string> externalIds)
    {
        if (externalIds.Count == 0)
        {
            return OvsEndpoint.Unmapped;
        }

        var ifaceId = Get(externalIds, "iface-id");
        var mac = Get(externalIds, "attached-mac");
        var ip = Get(externalIds, "ip");

        if (Pod(Get(externalIds, "pod-namespace"), Get(externalIds, "pod-name")) is var (antreaNs, antreaPod))
        {
            return new OvsEndpoint(OvsEndpointConvention.Antrea, antreaNs, antreaPod, ifaceId, mac, ip);
        }

        if (Pod(Get(externalIds, "pod_namespace"), Get(externalIds, "pod_name")) is var (kubeOvnNs, kubeOvnPod))
        {
            return new OvsEndpoint(OvsEndpointConvention.KubeOvn, kubeOvnNs, kubeOvnPod, ifaceId, mac, ip);
        }

        if (ifaceId is not null)
        {
            if (Guid.TryParseExact(ifaceId, "D", out _))
            {
                return new OvsEndpoint(OvsEndpointConvention.OpenStack, null, null, ifaceId, mac, ip);
            }

            var underscore = ifaceId.IndexOf('_', StringComparison.Ordinal);
            if (underscore > 0 && Pod(ifaceId[..underscore], ifaceId[(underscore + 1)..]) is var (ovnNs, ovnPod))
            {
                return new OvsEndpoint(OvsEndpointConvention.OvnKubernetes, ovnNs, ovnPod, ifaceId, mac, ip);
            }
        }

        return ifaceId is null && mac is null && ip is null
            ? OvsEndpoint.Unmapped
            : new OvsEndpoint(OvsEndpointConvention.None, null, null, ifaceId, mac, ip);
    }

    private static string? Get(IReadOnlyDictionary<string, string> ids, string key) =>
        ids.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

    private static (string Namespace, string Pod)? Pod(string? podNamespace, string? podName) =>
        podNamespace is not null && podName is not null && IsDnsLabel(podNamespace) && IsDnsSubdomain(podName)
            ? (podNamespace, podName)
            : null;

    /// <summary>RFC 1123 label, as Kubernetes requires of namespaces.</summary>
    private static bool IsDnsLabel(string value)
    {
        if (value.Length is 0 or > 63 || value[0] == '-' || value[^1] == '-')
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 1123 subdomain, as Kubernetes requires of pod names.</summary>
    private static bool IsDnsSubdomain(string value)
    {
        if (value.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in value.Split('.'))
        {
            if (!IsDnsLabel(label))
            {
                return false;
            }
        }

        return true;
    }
}
