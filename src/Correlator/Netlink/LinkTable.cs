using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Netlink;

/// <summary>
/// The links present, kept from rtnetlink messages, turned into <see cref="LinkEvent"/>s. Bounded: past
/// <see cref="Capacity"/> links a new one is counted in <see cref="Refused"/> and not tracked. A resync (after the
/// socket overran and messages were lost) is a dump between <see cref="BeginResync"/> and <see cref="EndResync"/>:
/// links the dump did not mention are removed.
/// </summary>
public sealed class LinkTable(int capacity)
{
    private readonly Dictionary<int, LinkInfo> _links = [];
    private HashSet<int>? _resyncSeen;

    public int Capacity { get; } = capacity;

    public long Refused { get; private set; }

    public IReadOnlyDictionary<int, LinkInfo> Links => _links;

    public IReadOnlyList<LinkEvent> Apply(RtnetlinkMessage.Link message)
    {
        var link = message.Info;
        _links.TryGetValue(link.Index, out var known);
        if (message.Deleted)
        {
            _resyncSeen?.Remove(link.Index);
            if (known is null)
            {
                return [];
            }

            _links.Remove(link.Index);
            return [new LinkEvent.Removed(known)];
        }

        _resyncSeen?.Add(link.Index);
        if (known is null)
        {
            if (_links.Count >= Capacity)
            {
                Refused++;
                return [];
            }

            _links[link.Index] = link;
            return [new LinkEvent.Added(link)];
        }

        if (known == link)
        {
            return [];
        }

        _links[link.Index] = link;
        return known.Name == link.Name
            ? [new LinkEvent.Changed(known, link)]
            : [new LinkEvent.Removed(known), new LinkEvent.Added(link)];
    }

    public void BeginResync() => _resyncSeen = [];

    public IReadOnlyList<LinkEvent> EndResync()
    {
        if (_resyncSeen is null)
        {
            return [];
        }

        var gone = _links.Values.Where(l => !_resyncSeen.Contains(l.Index)).OrderBy(l => l.Index).ToList();
        _resyncSeen = null;
        foreach (var link in gone)
        {
            _links.Remove(link.Index);
        }

        return [.. gone.Select(l => new LinkEvent.Removed(l))];
    }
}
