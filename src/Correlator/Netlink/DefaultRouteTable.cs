namespace FlowExporter.Correlator.Netlink;

/// <summary>
/// The main table's default routes (IPv4 and IPv6) and the interfaces they leave through: what <c>uplinks</c>
/// discovers. The kernel sends no RTM_DELROUTE for IPv4 routes it flushes when their interface goes down or away, so
/// <see cref="ForgetInterface"/> drops them on those link events; nor for the route an <c>ip route replace</c> replaced
/// (the new one comes with NLM_F_REPLACE and takes the place of the one of the same family and priority). Bounded by
/// <c>capacity</c> routes.
/// </summary>
public sealed class DefaultRouteTable(int capacity)
{
    private readonly Dictionary<RouteKey, IReadOnlyList<int>> _routes = [];
    private List<RouteKey>? _resyncSeen;

    public long Refused { get; private set; }

    /// <summary>The interface indexes any default route leaves through.</summary>
    public IReadOnlySet<int> Uplinks => _routes.Values.SelectMany(o => o).ToHashSet();

    /// <returns>True when the set of uplinks changed.</returns>
    public bool Apply(RtnetlinkMessage.Route route)
    {
        if (!route.IsDefault || route.OutputInterfaces.Count == 0)
        {
            return false;
        }

        var before = Uplinks;
        var key = new RouteKey(route.Family, route.Priority, string.Join(',', route.OutputInterfaces));
        if (route.Deleted)
        {
            _routes.Remove(key);
        }
        else
        {
            if (route.Replaces)
            {
                foreach (var replaced in _routes.Keys.Where(k => k.Family == key.Family && k.Priority == key.Priority && k != key).ToList())
                {
                    _routes.Remove(replaced);
                }
            }

            _resyncSeen?.Add(key);
            if (!_routes.ContainsKey(key) && _routes.Count >= capacity)
            {
                Refused++;
                return false;
            }

            _routes[key] = route.OutputInterfaces;
        }

        return !before.SetEquals(Uplinks);
    }

    /// <summary>Drops the routes through an interface that went away (any family) or went down (IPv4 only, as the kernel does).</summary>
    /// <returns>True when the set of uplinks changed.</returns>
    public bool ForgetInterface(int index, bool removed)
    {
        var before = Uplinks;
        foreach (var (key, outputs) in _routes.ToList())
        {
            if (outputs.Contains(index) && (removed || key.Family == Rtnetlink.AfInet))
            {
                _routes.Remove(key);
            }
        }

        return !before.SetEquals(Uplinks);
    }

    public void BeginResync()
    {
        _resyncSeen = [];
    }

    /// <returns>True when the set of uplinks changed by dropping routes the dump did not list.</returns>
    public bool EndResync()
    {
        if (_resyncSeen is null)
        {
            return false;
        }

        var before = Uplinks;
        var seen = _resyncSeen.ToHashSet();
        foreach (var key in _routes.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _routes.Remove(key);
        }

        _resyncSeen = null;
        return !before.SetEquals(Uplinks);
    }

    private readonly record struct RouteKey(byte Family, uint Priority, string Outputs);
}
