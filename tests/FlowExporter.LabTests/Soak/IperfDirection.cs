using System.Globalization;

namespace FlowExporter.LabTests.Soak;

/// <summary>
/// One direction of an iperf3 connection as the soak printed it: tcpdump's wire bytes and frames against the exporter's
/// last shown bytes and packets ("missing" when one side did not see it).
/// </summary>
public sealed record IperfDirection(string From, string To, long? TcpdumpBytes, long? TcpdumpFrames, long? ExporterBytes, long? ExporterPackets)
{
    public static IperfDirection Parse(string figure)
    {
        var f = figure.Split(' ');
        static long? Number(string text) => text == "missing" ? null : long.Parse(text, CultureInfo.InvariantCulture);
        return new IperfDirection(f[0], f[1], Number(f[2]), Number(f[3]), Number(f[4]), Number(f[5]));
    }

    public bool Exact => TcpdumpBytes is not null && TcpdumpBytes == ExporterBytes && TcpdumpFrames == ExporterPackets;
}
