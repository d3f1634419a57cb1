using System.Globalization;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Capture;

/// <summary>Per-direction TCP bytes and frames of an independent capture file, as tshark dissects it.</summary>
public static class WireTruth
{
    public static async Task<Dictionary<(string From, string To), (long Bytes, long Frames)>> TcpDirectionsAsync(string pcap)
    {
        // One line per frame goes to a file, not through the runner's output, which keeps only its first 4 MiB: a capture of
        // a minute of iperf3 (about 140,000 frames) is more, and the cut-off lines silently lost the connections' ends.
        var fields = pcap + ".fields";
        try
        {
            await ProcessRunner.CheckAsync(
                "sh",
                ["-c", "exec tshark \"$@\" > \"$0\"", fields, "-r", pcap, "-n", "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "frame.len", "-Y", "tcp"],
                TimeSpan.FromSeconds(120));
            return Totals(File.ReadLines(fields));
        }
        finally
        {
            File.Delete(fields);
        }
    }

    private static Dictionary<(string From, string To), (long Bytes, long Frames)> Totals(IEnumerable<string> lines)
    {
        var totals = new Dictionary<(string, string), (long, long)>();
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            var f = line.Split('\t');
            var key = ($"{f[0]}:{f[1]}", $"{f[2]}:{f[3]}");
            var (bytes, frames) = totals.GetValueOrDefault(key);
            totals[key] = (bytes + long.Parse(f[4], CultureInfo.InvariantCulture), frames + 1);
        }

        return totals;
    }
}
