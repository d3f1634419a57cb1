using System.Collections.Frozen;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// Longest-prefix match over a fixed set of prefixes: one hash probe per distinct prefix length present (longest first),
/// so a lookup costs at most 33 (IPv4) or 129 (IPv6) probes and usually a handful.
/// </summary>
internal sealed class CidrTable
{
    private readonly int[] _v4Lengths;
    private readonly int[] _v6Lengths;

    private CidrTable(FrozenDictionary<IpPrefix, NetworkEndpoint> entries)
    {
        Entries = entries;
        _v4Lengths = entries.Keys.Where(p => p.Network.IsV4).Select(p => p.Length).Distinct().OrderDescending().ToArray();
        _v6Lengths = entries.Keys.Where(p => p.Network.IsV6).Select(p => p.Length).Distinct().OrderDescending().ToArray();
    }

    public static CidrTable Empty { get; } = new(FrozenDictionary<IpPrefix, NetworkEndpoint>.Empty);

    public FrozenDictionary<IpPrefix, NetworkEndpoint> Entries { get; }

    public static CidrTable Create(IReadOnlyDictionary<IpPrefix, NetworkEndpoint> entries) =>
        entries.Count == 0 ? Empty : new CidrTable(entries.ToFrozenDictionary());

    public NetworkEndpoint? Find(IpAddress address)
    {
        var lengths = address.IsV6 ? _v6Lengths : _v4Lengths;
        foreach (var length in lengths)
        {
            if (Entries.TryGetValue(IpPrefix.Create(address, length), out var endpoint))
            {
                return endpoint;
            }
        }

        return null;
    }
}
