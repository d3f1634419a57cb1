using System.Globalization;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Net;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ebpf;

/// <summary>Per-connection, per-direction totals of a capture file as tshark dissects it, keyed as the connection table keys them.</summary>
public sealed record WireDirectionTotals(long BytesFromA, long FramesFromA, long SegmentsFromA, long BytesFromB, long FramesFromB, long SegmentsFromB);

public static class WireConnections
{
    /// <summary>
    /// Reads every IP frame of <paramref name="pcap"/>: its outer protocol, endpoints and ports (an ICMP error's quoted
    /// ports are not the frame's), its length, and for TCP the segments it became on the wire at <paramref name="mss"/>
    /// bytes of payload each (1 when <paramref name="mss"/> is 0).
    /// </summary>
    public static async Task<Dictionary<ConnectionKey, WireDirectionTotals>> ReadAsync(string pcap, int mss = 0)
    {
        var result = await ProcessRunner.CheckAsync(
            "tshark",
            ["-r", pcap, "-n", "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ip.proto", "-e", "ipv6.nxt",
             "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "frame.len", "-e", "tcp.len", "-Y", "ip or ipv6"],
            TimeSpan.FromSeconds(120));
        var totals = new Dictionary<ConnectionKey, WireDirectionTotals>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var v4 = f[0].Length > 0;
            var source = IpAddress.Parse(First(v4 ? f[0] : f[2]));
            var destination = IpAddress.Parse(First(v4 ? f[1] : f[3]));
            var protocol = byte.Parse(First(v4 ? f[4] : f[5]), CultureInfo.InvariantCulture);
            var (sourcePort, destinationPort) = protocol switch
            {
                6 => (Port(f[6]), Port(f[7])),
                17 => (Port(f[8]), Port(f[9])),
                _ => ((ushort)0, (ushort)0),
            };
            var length = long.Parse(f[10], CultureInfo.InvariantCulture);
            var payload = protocol == 6 && f.Length > 11 && f[11].Length > 0 ? long.Parse(First(f[11]), CultureInfo.InvariantCulture) : 0;
            var segments = protocol == 6 && mss > 0 ? Math.Max(1, (payload + mss - 1) / mss) : 1;
            var key = ConnectionKey.Of(0, protocol, source, sourcePort, destination, destinationPort, out var sourceIsA);
            var t = totals.GetValueOrDefault(key) ?? new WireDirectionTotals(0, 0, 0, 0, 0, 0);
            totals[key] = sourceIsA
                ? t with { BytesFromA = t.BytesFromA + length, FramesFromA = t.FramesFromA + 1, SegmentsFromA = t.SegmentsFromA + segments }
                : t with { BytesFromB = t.BytesFromB + length, FramesFromB = t.FramesFromB + 1, SegmentsFromB = t.SegmentsFromB + segments };
        }

        return totals;
    }

    private static string First(string field) => field.Split(',')[0];

    private static ushort Port(string field) => field.Length == 0 ? (ushort)0 : ushort.Parse(First(field), CultureInfo.InvariantCulture);
}
