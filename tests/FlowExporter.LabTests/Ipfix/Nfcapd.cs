using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>nfdump's collector (nfcapd) on a UDP port (loopback unless told), and its flows as <c>nfdump</c> prints them.</summary>
internal sealed class Nfcapd : IAsyncDisposable
{
    private readonly string _directory;
    private readonly BackgroundProcess _process;

    private Nfcapd(string directory, int port, BackgroundProcess process)
    {
        _directory = directory;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    /// <param name="address">The address to bind (in the test's own namespace: the root one).</param>
    public static async Task<Nfcapd> StartAsync(string address = "127.0.0.1")
    {
        LabPrerequisites.Require("nfcapd", "nfdump");
        var directory = Directory.CreateTempSubdirectory("fe-nfcapd-").FullName;
        var port = UdpPorts.Free();
        var process = BackgroundProcess.Start(null, "nfcapd", ["-w", directory, "-p", port.ToString(CultureInfo.InvariantCulture), "-b", address, "-t", "3600", "-B", "8000000"]);
        await UdpPorts.WaitUntilAsync(() => UdpPorts.ReceiveQueue(port) is not null || process.HasExited, TimeSpan.FromSeconds(20), "nfcapd bound");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"nfcapd exited: {process.Output}");
        }

        return new Nfcapd(directory, port, process);
    }

    /// <summary>Lets nfcapd read what is queued, stops it (it writes its file) and reads the flows back.</summary>
    public async Task<IReadOnlyList<NfdumpFlow>> StopAndReadAsync()
    {
        await StopAsync();
        var result = await ProcessRunner.CheckAsync("nfdump", ["-R", _directory, "-o", "csv"], TimeSpan.FromSeconds(60));
        return NfdumpFlow.ParseCsv(result.StandardOutput);
    }

    /// <summary>As <see cref="StopAndReadAsync"/>, with every field nfdump stored (<c>-o raw</c>): end reasons and times too.</summary>
    public async Task<IReadOnlyList<NfdumpRawRecord>> StopAndReadRawAsync()
    {
        await StopAsync();
        var result = await ProcessRunner.CheckAsync("nfdump", ["-R", _directory, "-o", "raw"], TimeSpan.FromSeconds(60));
        return NfdumpRawRecord.Parse(result.StandardOutput);
    }

    private async Task StopAsync()
    {
        await UdpPorts.WaitUntilAsync(() => UdpPorts.ReceiveQueue(Port) is null or 0, TimeSpan.FromSeconds(30), "nfcapd drained its socket");
        await _process.StopAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>One nfdump flow: source, destination, protocol, and packets and IP octets both ways (in = source to destination).</summary>
internal sealed record NfdumpFlow(string Source, string Destination, int SourcePort, int DestinationPort, string Protocol, long InPackets, long InBytes, long OutPackets, long OutBytes)
{
    public static IReadOnlyList<NfdumpFlow> ParseCsv(string csv)
    {
        var flows = new List<NfdumpFlow>();
        foreach (var line in csv.Split('\n'))
        {
            var f = line.Split(',');
            if (f.Length < 15 || f[0] == "ts")
            {
                continue;
            }

            flows.Add(new NfdumpFlow(
                f[3], f[4], int.Parse(f[5], CultureInfo.InvariantCulture), int.Parse(f[6].Split('.')[0], CultureInfo.InvariantCulture), f[7].Trim().ToLowerInvariant(),
                long.Parse(f[11], CultureInfo.InvariantCulture), long.Parse(f[12], CultureInfo.InvariantCulture),
                long.Parse(f[13], CultureInfo.InvariantCulture), long.Parse(f[14], CultureInfo.InvariantCulture)));
        }

        return flows;
    }
}
