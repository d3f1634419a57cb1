using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// Longest-prefix match over a fixed set of prefixes: one hash probe per distinct prefix length present (longest first),
/// so a lookup costs at most 33 (IPv4) or 129 (IPv6) probes and usually a handful.
/// </summary>
internal sealed class CidrTable
{
    private readonly Dictionary<IpPrefix, NetworkEndpoint> _entries;
    private readonly int[] _v4Lengths;
    private readonly int[] _v6Lengths;

    private CidrTable(Dictionary<IpPrefix, NetworkEndpoint> entries)
    {
        _entries = entries;
        _v4Lengths = entries.Keys.Where(p => p.Network.IsV4).Select(p => p.Length).Distinct().OrderDescending().ToArray();
        _v6Lengths = entries.Keys.Where(p => p.Network.IsV6).Select(p => p.Length).Distinct().OrderDescending().ToArray();
    }

    public static CidrTable Empty { get; } = new([]);

    public IReadOnlyDictionary<IpPrefix, NetworkEndpoint> Entries => _entries;

    /// <summary>Takes ownership of <paramref name="entries"/>: the caller must not write to it again.</summary>
    public static CidrTable Create(Dictionary<IpPrefix, NetworkEndpoint> entries) =>
        entries.Count == 0 ? Empty : new CidrTable(entries);

    public NetworkEndpoint? Find(IpAddress address)
    {
        var lengths = address.IsV6 ? _v6Lengths : _v4Lengths;
        foreach (var length in lengths)
        {
            if (_entries.TryGetValue(IpPrefix.Create(address, length), out var endpoint))
            {
                return endpoint;
            }
        }

        return null;
    }
}
