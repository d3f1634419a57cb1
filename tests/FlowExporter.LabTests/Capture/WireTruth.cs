using System.Globalization;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Capture;

/// <summary>Per-direction TCP bytes and frames of an independent capture file, as tshark dissects it.</summary>
public static class WireTruth
{
    public static async Task<Dictionary<(string From, string To), (long Bytes, long Frames)>> TcpDirectionsAsync(string pcap)
    {
        var result = await ProcessRunner.CheckAsync(
            "tshark",
            ["-r", pcap, "-n", "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "frame.len", "-Y", "tcp"],
            TimeSpan.FromSeconds(120));
        var totals = new Dictionary<(string, string), (long, long)>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var key = ($"{f[0]}:{f[1]}", $"{f[2]}:{f[3]}");
            var (bytes, frames) = totals.GetValueOrDefault(key);
            totals[key] = (bytes + long.Parse(f[4], CultureInfo.InvariantCulture), frames + 1);
        }

        return totals;
    }
}
