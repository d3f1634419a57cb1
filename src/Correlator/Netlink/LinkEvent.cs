using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Netlink;

/// <summary>
/// A change to the links present. A rename, or a move to another network namespace (the kernel sends RTM_DELLINK in
/// the old one), arrives as <see cref="Removed"/> then <see cref="Added"/> (or only Removed for a move).
/// </summary>
public abstract record LinkEvent(LinkInfo Link)
{
    public sealed record Added(LinkInfo Link) : LinkEvent(Link);

    /// <summary>Same index and name, another state (up/down, kind).</summary>
    public sealed record Changed(LinkInfo Previous, LinkInfo Link) : LinkEvent(Link);

    public sealed record Removed(LinkInfo Link) : LinkEvent(Link);
}
