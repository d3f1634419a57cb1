using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Netlink;

/// <summary>
/// What the link watcher publishes after each datagram that changed something: the events, and the whole picture
/// after them (links present, default-route interfaces), so that a consumer plans from state, not from a replay of
/// events. <see cref="Timestamp"/> is the <c>TimeProvider</c> timestamp at which the datagram was received.
/// </summary>
public sealed record LinkWatchUpdate(
    IReadOnlyList<LinkEvent> Events,
    IReadOnlyDictionary<int, LinkInfo> Links,
    IReadOnlySet<int> Uplinks,
    bool UplinksChanged,
    long Timestamp);
