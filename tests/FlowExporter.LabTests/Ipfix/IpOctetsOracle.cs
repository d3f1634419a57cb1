using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// tshark's IP octets per (source, destination) address pair: each frame's innermost IP header, its total length
/// (IPv4) or 40 + payload length (IPv6): what octetDeltaCount counts (RFC 7012).
/// </summary>
internal static class IpOctetsOracle
{
    public static async Task<Dictionary<(string From, string To), long>> PairsAsync(string pcap)
    {
        var result = await ProcessRunner.CheckAsync(
            "tshark",
            ["-r", pcap, "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.len", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.plen", "-e", "frame.protocols"],
            TimeSpan.FromSeconds(120));
        var totals = new Dictionary<(string, string), long>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var layers = f[6].Split(':');
            var v4 = Array.LastIndexOf(layers, "ip");
            var v6 = Array.LastIndexOf(layers, "ipv6");
            if (v4 < 0 && v6 < 0)
            {
                continue;
            }

            var (key, octets) = v4 > v6 ? ((f[0], f[1]), long.Parse(f[2])) : ((f[3], f[4]), 40 + long.Parse(f[5]));
            totals[key] = totals.GetValueOrDefault(key) + octets;
        }

        return totals;
    }
}
