using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// pmacct's IPFIX collector (nfacctd) with the print plugin: every second it appends what it received since the last
/// print to a CSV file, one row per (source, destination, ports, protocol). pmacct reads a biflow's forward IEs only,
/// so a row's packets and bytes are the initiator's (IP octets).
/// </summary>
internal sealed class Nfacctd : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _output;
    private readonly BackgroundProcess _process;

    private Nfacctd(string directory, string output, int port, BackgroundProcess process)
    {
        _directory = directory;
        _output = output;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public string Output => _process.Output;

    public static async Task<Nfacctd> StartAsync(string address)
    {
        LabPrerequisites.Require("nfacctd");
        var directory = Directory.CreateTempSubdirectory("fe-nfacctd-").FullName;
        var port = UdpPorts.Free();
        var output = Path.Combine(directory, "flows.csv");
        var config = Path.Combine(directory, "nfacctd.conf");
        await File.WriteAllTextAsync(config, $"""
            nfacctd_port: {port}
            nfacctd_ip: {address}
            plugins: print
            print_output: csv
            print_output_file: {output}
            print_output_file_append: true
            print_refresh_time: 1
            aggregate: src_host, dst_host, src_port, dst_port, proto
            """);
        var process = BackgroundProcess.Start(null, "nfacctd", ["-f", config]);
        await UdpPorts.WaitUntilAsync(() => UdpPorts.ReceiveQueue(port) is not null || process.HasExited, TimeSpan.FromSeconds(20), "nfacctd bound");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"nfacctd exited: {process.Output}");
        }

        return new Nfacctd(directory, output, port, process);
    }

    /// <summary>Packets and bytes printed so far per (source, source port, destination, destination port, protocol), summed over prints.</summary>
    public Dictionary<(string Source, int SourcePort, string Destination, int DestinationPort, string Protocol), (long Packets, long Bytes)> Printed()
    {
        var rows = new Dictionary<(string, int, string, int, string), (long, long)>();
        if (!File.Exists(_output))
        {
            return rows;
        }

        foreach (var line in File.ReadAllLines(_output))
        {
            var f = line.Split(',');
            if (f.Length < 7
                || !int.TryParse(f[2], CultureInfo.InvariantCulture, out var sourcePort)
                || !int.TryParse(f[3], CultureInfo.InvariantCulture, out var destinationPort)
                || !long.TryParse(f[5], CultureInfo.InvariantCulture, out var packets)
                || !long.TryParse(f[6], CultureInfo.InvariantCulture, out var bytes))
            {
                continue; // the title, or a line still being written (read again on the next poll)
            }

            var key = (f[0], sourcePort, f[1], destinationPort, f[4]);
            var (packetsBefore, bytesBefore) = rows.GetValueOrDefault(key);
            rows[key] = (packetsBefore + packets, bytesBefore + bytes);
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
