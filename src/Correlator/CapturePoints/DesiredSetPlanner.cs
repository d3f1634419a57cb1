namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// Decides which interfaces to capture on, from what is present: the links (rtnetlink), the OVS ports that name a pod
/// (the OVS source's external_ids mapping) and the default-route interfaces. Pure and deterministic.
/// <list type="bullet">
/// <item>A link is chosen by any include entry that matches its name, by <c>ovs_pod_ports</c> when it is an OVS pod
/// port, by <c>uplinks</c> when a default route leaves through it; an exclude entry that matches removes it whatever
/// chose it.</item>
/// <item>Each interface appears once, with every selector that chose it. Its role is Uplink when it is an uplink or a
/// literal name chose it (today's <c>eth0</c>), otherwise PodPort.</item>
/// <item>A chosen link that is not usable (down) waits; it is opened when it comes up.</item>
/// <item>At most <see cref="CapturePointPolicy.MaxPoints"/> points, uplinks first, then by ifindex (older links
/// first, so a burst of new pods cannot push out the ones already captured); the rest are over the limit.</item>
/// </list>
/// </summary>
public static class DesiredSetPlanner
{
    public static DesiredSet Plan(
        CaptureSelectors selectors,
        CapturePointPolicy policy,
        IEnumerable<LinkInfo> links,
        IReadOnlySet<string> ovsPodPorts,
        IReadOnlySet<int> uplinkIndexes)
    {
        var podPortLabel = DiscoverySources.Label(DiscoverySource.OvsPodPorts);
        var uplinkLabel = DiscoverySources.Label(DiscoverySource.Uplinks);
        var wantPodPorts = selectors.Discover.Contains(DiscoverySource.OvsPodPorts);
        var wantUplinks = selectors.Discover.Contains(DiscoverySource.Uplinks);

        var chosen = new List<(LinkInfo Link, PlannedPoint Point)>();
        var byIndex = new HashSet<int>();
        foreach (var link in links.OrderBy(l => l.Index))
        {
            if (!byIndex.Add(link.Index) || selectors.IsExcluded(link.Name))
            {
                continue;
            }

            var labels = new List<string>();
            var uplinkRole = false;
            foreach (var include in selectors.Includes)
            {
                if (include.Glob.IsMatch(link.Name))
                {
                    labels.Add(include.Label);
                    uplinkRole |= include.Glob.IsLiteral;
                }
            }

            if (wantPodPorts && ovsPodPorts.Contains(link.Name))
            {
                labels.Add(podPortLabel);
            }

            if (wantUplinks && uplinkIndexes.Contains(link.Index))
            {
                labels.Add(uplinkLabel);
                uplinkRole = true;
            }

            if (labels.Count == 0)
            {
                continue;
            }

            var role = uplinkRole ? CapturePointRole.Uplink : CapturePointRole.PodPort;
            chosen.Add((link, new PlannedPoint(link.Index, link.Name, role, policy.BufferBytes(role), labels)));
        }

        var points = new List<PlannedPoint>();
        var waiting = new List<PlannedPoint>();
        var over = new List<PlannedPoint>();
        var bySelector = selectors.Labels.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        var admitted = 0;
        foreach (var (link, point) in chosen.OrderBy(c => c.Point.Role == CapturePointRole.Uplink ? 0 : 1).ThenBy(c => c.Link.Index))
        {
            if (admitted >= policy.MaxPoints)
            {
                over.Add(point);
                continue;
            }

            admitted++;
            if (!link.IsUsable)
            {
                waiting.Add(point);
                continue;
            }

            points.Add(point);
            foreach (var label in point.Selectors)
            {
                bySelector[label] = bySelector.GetValueOrDefault(label) + 1;
            }
        }

        return new DesiredSet(
            [.. points.OrderBy(p => p.Index)],
            [.. waiting.OrderBy(p => p.Index)],
            [.. over.OrderBy(p => p.Index)],
            bySelector);
    }
}
