namespace FlowExporter.Probes;

/// <summary>
/// Which network a probe crosses (the <c>path</c> label): <c>pod</c> to the peer pod's own address, <c>host</c> to its
/// node's address. When the two are the same address (a hostNetwork DaemonSet) the peer is probed once, as <c>host</c>.
/// </summary>
public enum ProbePath
{
    Pod,
    Host,
}
