namespace FlowExporter.Probes;

/// <summary>One probed path to one peer: the series key (<paramref name="Node"/>, <paramref name="Path"/>) and where to connect.</summary>
public sealed record ProbeTarget(string Node, ProbePath Path, string Address, int Port)
{
    /// <summary>
    /// A peer's targets: its first pod address over the pod network and its first node address over the host network;
    /// a pod address that is also a node address (hostNetwork) is the host path, probed once.
    /// </summary>
    public static IEnumerable<ProbeTarget> Of(ExporterPeer peer, IReadOnlySet<ProbePath> paths)
    {
        var host = peer.HostAddresses.Count > 0 ? peer.HostAddresses[0] : null;
        var pod = peer.PodAddresses.FirstOrDefault(a => !peer.HostAddresses.Contains(a, StringComparer.OrdinalIgnoreCase));
        if (pod is not null && paths.Contains(ProbePath.Pod))
        {
            yield return new ProbeTarget(peer.Node, ProbePath.Pod, pod, peer.Port);
        }

        if (host is not null && paths.Contains(ProbePath.Host))
        {
            yield return new ProbeTarget(peer.Node, ProbePath.Host, host, peer.Port);
        }
    }
}
