using System.Net;
using System.Net.Sockets;
using CliWrap;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Snmp;

namespace FlowExporter.LabTests.Snmp;

/// <summary>
/// snmpsimd serving the recordings in tests/fixtures/snmp on free loopback UDP ports, from a private temp directory; the
/// community of each recording is its file name without extension. Killed and removed on dispose.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class SnmpsimFixture : IAsyncDisposable
{
    private readonly CancellationTokenSource _kill = new();
    private readonly BoundedProcess.CappedText _log = new();
    private Task<CommandResult>? _process;

    private SnmpsimFixture(string directory, int[] ports)
    {
        Directory = directory;
        Ports = ports;
    }

    public string Directory { get; }

    public int[] Ports { get; }

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "snmp", name);

    public static async Task<SnmpsimFixture> StartAsync(int endpoints = 1)
    {
        var snmpsimd = BoundedProcess.Require("snmpsimd");
        var directory = System.IO.Directory.CreateTempSubdirectory("flowexporter-snmpsim-").FullName;
        var data = Path.Combine(directory, "data");
        var cache = Path.Combine(directory, "cache");
        System.IO.Directory.CreateDirectory(data);
        System.IO.Directory.CreateDirectory(cache);
        foreach (var file in System.IO.Directory.GetFiles(Path.GetDirectoryName(FixturePath("x"))!))
        {
            File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
            File.SetUnixFileMode(Path.Combine(data, Path.GetFileName(file)), UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(directory, Open);
        File.SetUnixFileMode(data, Open);
        File.SetUnixFileMode(cache, Open | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);

        var ports = Enumerable.Range(0, endpoints).Select(_ => FreeUdpPort()).Distinct().ToArray();
        var arguments = new List<string> { $"--data-dir={data}", $"--cache-dir={cache}", "--process-user=nobody", "--process-group=nogroup", "--logging-method=null" };
        arguments.AddRange(ports.Select(p => $"--agent-udpv4-endpoint=127.0.0.1:{p}"));
        var fixture = new SnmpsimFixture(directory, ports);
        fixture._process = Cli.Wrap(snmpsimd)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(fixture._log.Add))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(fixture._log.Add))
            .ExecuteAsync(fixture._kill.Token);
        await fixture.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(60));
        return fixture;
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        foreach (var port in Ports)
        {
            using var transport = new UdpSnmpTransport("127.0.0.1", port, TimeSpan.FromMilliseconds(500), 0, TimeProvider.System);
            var client = new CommunityClient(transport, "dlink-des3200-18.ifmib"u8.ToArray(), 1);
            while (true)
            {
                if (_process!.IsCompleted)
                {
                    Assert.Fail($"snmpsimd exited at start:\n{_log}");
                }

                if (DateTime.UtcNow > until)
                {
                    Assert.Fail($"snmpsimd did not answer on 127.0.0.1:{port} within {deadline.TotalSeconds}s:\n{_log}");
                }

                try
                {
                    await client.GetAsync([Oid.Parse("1.3.6.1.2.1.1.5.0")], CancellationToken.None);
                    break;
                }
                catch (SnmpRequestException)
                {
                }
            }
        }
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _kill.CancelAsync();
        if (_process is not null)
        {
            try
            {
                await _process;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _kill.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
