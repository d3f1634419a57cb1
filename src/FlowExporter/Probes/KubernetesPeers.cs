using FlowExporter.Kubernetes;
using k8s.Models;

namespace FlowExporter.Probes;

/// <summary>
/// The other exporters as the Kubernetes source sees them: pods that match the selector, are not finished, are not
/// being deleted, have an address and run on another node. Their pod IPs are the pod path, their node's addresses
/// (<c>status.hostIPs</c>, the node's InternalIP) the host path. Bounded by <c>max_peers</c> (the rest is counted).
/// </summary>
public sealed class KubernetesPeers : IPeerSource, IPodListener
{
    private readonly PeerSelector _selector;
    private readonly string _ownNode;
    private readonly int _port;
    private readonly int _max;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Namespace, string Name), ExporterPeer> _pods = [];
    private IReadOnlyList<ExporterPeer> _current = [];
    private long _dropped;

    public KubernetesPeers(PeerSelector selector, string ownNode, int port, int maxPeers)
    {
        _selector = selector;
        _ownNode = ownNode;
        _port = port;
        _max = maxPeers;
    }

    public IReadOnlyList<ExporterPeer> Current => Volatile.Read(ref _current);

    public event EventHandler? Changed;

    /// <summary>Matching pods beyond <c>max_peers</c>, not held.</summary>
    public long Dropped
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    public void Replaced(IReadOnlyList<V1Pod> pods)
    {
        bool changed;
        lock (_gate)
        {
            _pods.Clear();
            foreach (var pod in pods)
            {
                Apply(pod);
            }

            changed = Publish();
        }

        RaiseIf(changed);
    }

    public void Upserted(V1Pod pod)
    {
        bool changed;
        lock (_gate)
        {
            Apply(pod);
            changed = Publish();
        }

        RaiseIf(changed);
    }

    public void Deleted(V1Pod pod)
    {
        var changed = false;
        lock (_gate)
        {
            if (_pods.Remove(KeyOf(pod)))
            {
                changed = Publish();
            }
        }

        RaiseIf(changed);
    }

    private void RaiseIf(bool changed)
    {
        if (changed)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    private static (string, string) KeyOf(V1Pod pod) => (pod.Metadata?.NamespaceProperty ?? string.Empty, pod.Metadata?.Name ?? string.Empty);

    private void Apply(V1Pod pod)
    {
        var key = KeyOf(pod);
        var peer = ToPeer(pod);
        if (peer is null)
        {
            _pods.Remove(key);
            return;
        }

        if (!_pods.ContainsKey(key) && _pods.Count >= _max)
        {
            _dropped++;
            return;
        }

        _pods[key] = peer;
    }

    private ExporterPeer? ToPeer(V1Pod pod)
    {
        var node = pod.Spec?.NodeName;
        if (string.IsNullOrEmpty(node) || node == _ownNode || pod.Metadata?.DeletionTimestamp is not null
            || pod.Status?.Phase is "Succeeded" or "Failed"
            || !_selector.Matches(pod.Metadata?.NamespaceProperty, pod.Metadata?.Labels))
        {
            return null;
        }

        var podIps = Addresses(pod.Status?.PodIPs?.Select(p => p.Ip), pod.Status?.PodIP);
        var hostIps = Addresses(pod.Status?.HostIPs?.Select(p => p.Ip), pod.Status?.HostIP);
        return podIps.Count == 0 && hostIps.Count == 0 ? null : new ExporterPeer(node, podIps, hostIps, _port);
    }

    private static List<string> Addresses(IEnumerable<string?>? plural, string? singular)
    {
        var texts = plural?.ToList() is { Count: > 0 } list ? list : [singular];
        return [.. texts.Where(t => System.Net.IPAddress.TryParse(t, out _)).Select(t => t!).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// One peer per node (a rolling update briefly has two pods on a node: the newer listing wins). True when the peers
    /// changed: most pod events in a cluster are about other pods and change nothing here.
    /// </summary>
    private bool Publish()
    {
        var next = _pods.Values.GroupBy(p => p.Node, StringComparer.Ordinal).Select(g => g.Last()).OrderBy(p => p.Node, StringComparer.Ordinal).ToArray();
        if (next.SequenceEqual(_current))
        {
            return false;
        }

        Volatile.Write(ref _current, next);
        return true;
    }
}
