using System.Net;
using System.Net.Sockets;
using CliWrap;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Snmp;

namespace FlowExporter.LabTests.Snmp;

/// <summary>
/// A real net-snmp snmpd on a free loopback UDP port with its own temp directory (config, pid file, persistent state),
/// serving this machine's IF-MIB. The community and v3 users are unique per run. Killed and removed on dispose.
/// </summary>
internal sealed class SnmpdFixture : IAsyncDisposable
{
    public static readonly (string User, string Auth, string AuthPass, string Priv, string PrivPass)[] Users =
    [
        ("shaaes", "SHA", "shaaes-auth-pass", "AES", "shaaes-priv-pass"),
        ("sha256aes", "SHA-256", "sha256aes-auth-pass", "AES", "sha256aes-priv-pass"),
        ("md5des", "MD5", "md5des-auth-pass", "DES", "md5des-priv-pass"),
        ("sha512des", "SHA-512", "sha512des-auth-pass", "DES", "sha512des-priv-pass"),
        ("sha224aes", "SHA-224", "sha224aes-auth-pass", "AES", "sha224aes-priv-pass"),
        ("sha384aes", "SHA-384", "sha384aes-auth-pass", "AES", "sha384aes-priv-pass"),
    ];

    private readonly CancellationTokenSource _kill = new();
    private readonly BoundedProcess.CappedText _log = new();
    private Task<CommandResult>? _process;

    private SnmpdFixture(string directory, int port, string community)
    {
        Directory = directory;
        Port = port;
        Community = community;
    }

    public string Directory { get; }

    public int Port { get; }

    public string Community { get; }

    public string Address => $"127.0.0.1:{Port}";

    public static async Task<SnmpdFixture> StartAsync()
    {
        var snmpd = BoundedProcess.Require("snmpd");
        var directory = System.IO.Directory.CreateTempSubdirectory("flowexporter-snmpd-").FullName;
        var community = "lab-" + Guid.NewGuid().ToString("N")[..12];
        var fixture = new SnmpdFixture(directory, FreeUdpPort(), community);
        var config = new List<string> { $"rocommunity {community} 127.0.0.1", "sysName lab-switch-1" };
        foreach (var (user, auth, authPass, priv, privPass) in Users)
        {
            config.Add($"createUser {user} {auth} \"{authPass}\" {priv} \"{privPass}\"");
            config.Add($"rouser {user} authpriv");
        }

        config.Add("createUser authonly SHA \"authonly-pass\"");
        config.Add("rouser authonly auth");
        await File.WriteAllLinesAsync(Path.Combine(directory, "snmpd.conf"), config);
        fixture._process = Cli.Wrap(snmpd)
            .WithArguments(["-f", "-Lo", "-C", "-c", Path.Combine(directory, "snmpd.conf"), "-p", Path.Combine(directory, "snmpd.pid"), $"udp:127.0.0.1:{fixture.Port}"])
            .WithEnvironmentVariables(env => env.Set("SNMP_PERSISTENT_DIR", directory))
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(fixture._log.Add))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(fixture._log.Add))
            .ExecuteAsync(fixture._kill.Token);
        await fixture.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(20));
        return fixture;
    }

    /// <summary>Kills snmpd (SIGKILL) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        await _kill.CancelAsync();
        try
        {
            await _process;
        }
        catch (OperationCanceledException)
        {
        }

        _process = null;
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        using var transport = new UdpSnmpTransport("127.0.0.1", Port, TimeSpan.FromMilliseconds(300), 0, TimeProvider.System);
        var client = new CommunityClient(transport, System.Text.Encoding.UTF8.GetBytes(Community), 1);
        while (DateTime.UtcNow < until)
        {
            if (_process!.IsCompleted)
            {
                Assert.Fail($"snmpd exited at start:\n{_log}");
            }

            try
            {
                await client.GetAsync([Oid.Parse("1.3.6.1.2.1.1.5.0")], CancellationToken.None);
                return;
            }
            catch (SnmpRequestException)
            {
            }
        }

        Assert.Fail($"snmpd did not answer on {Address} within {deadline.TotalSeconds}s:\n{_log}");
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _kill.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
