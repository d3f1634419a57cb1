using System.Globalization;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>One direction of a connection (IPv4) as tshark reads a capture: frames, frame bytes and IP octets.</summary>
internal sealed record DirectionWireTotals(long Frames, long FrameBytes, long IpOctets)
{
    /// <summary>Every IPv4 frame of <paramref name="pcap"/>, summed per (protocol, source, source port, destination, destination port).</summary>
    public static async Task<Dictionary<(string Protocol, string Source, int SourcePort, string Destination, int DestinationPort), DirectionWireTotals>> ReadAsync(string pcap)
    {
        var result = await ProcessRunner.CheckAsync(
            "tshark",
            ["-r", pcap, "-n", "-Y", "ip", "-T", "fields", "-E", "separator=/t", "-e", "ip.proto", "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.srcport", "-e", "tcp.dstport",
             "-e", "udp.srcport", "-e", "udp.dstport", "-e", "frame.len", "-e", "ip.len"],
            TimeSpan.FromSeconds(120));
        var totals = new Dictionary<(string, string, int, string, int), DirectionWireTotals>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var (protocol, sourcePort, destinationPort) = f[0] switch
            {
                "6" => ("tcp", Number(f[3]), Number(f[4])),
                "17" => ("udp", Number(f[5]), Number(f[6])),
                _ => (f[0], 0, 0),
            };
            var key = (protocol, f[1], sourcePort, f[2], destinationPort);
            var t = totals.GetValueOrDefault(key) ?? new DirectionWireTotals(0, 0, 0);
            totals[key] = new DirectionWireTotals(t.Frames + 1, t.FrameBytes + Number(f[7]), t.IpOctets + Number(f[8]));
        }

        return totals;
    }

    private static int Number(string field) => field.Length == 0 ? 0 : int.Parse(field.Split(',')[0], CultureInfo.InvariantCulture);
}
