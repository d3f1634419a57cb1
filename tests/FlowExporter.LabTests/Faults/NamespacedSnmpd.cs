using System.Diagnostics;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Faults;

/// <summary>
/// A real net-snmp snmpd inside a lab network namespace (so it serves that namespace's IF-MIB: the OVS ports), on a
/// loopback UDP port of that namespace. It can be paused (SIGSTOP: requests are dropped unanswered, a blackhole),
/// killed and started again on the same port (a restart resets sysUpTime).
/// </summary>
internal sealed class NamespacedSnmpd : IAsyncDisposable
{
    private readonly string _configFile;
    private BackgroundProcess? _process;

    private NamespacedSnmpd(string networkNamespace, string directory, int port, string writeCommunity)
    {
        Namespace = networkNamespace;
        Directory = directory;
        Port = port;
        WriteCommunity = writeCommunity;
        // Not "snmpd.conf": snmpd writes its persistent state under that name in its persistent directory.
        _configFile = Path.Combine(directory, "lab-snmpd.conf");
        StateDirectory = System.IO.Directory.CreateDirectory(Path.Combine(directory, "snmpd-state")).FullName;
    }

    public string Namespace { get; }

    public string Directory { get; }

    /// <summary>snmpd's persistent directory (engine boots, users), kept across restarts like a real agent's.</summary>
    public string StateDirectory { get; }

    public int Port { get; }

    /// <summary>A read-write community the test itself uses to set ifAlias (never given to the exporter).</summary>
    public string WriteCommunity { get; }

    public string Address => $"127.0.0.1:{Port}";

    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("snmpd is not running");

    /// <summary>Writes snmpd.conf from the given lines (plus the test's read-write community) and starts snmpd.</summary>
    public static async Task<NamespacedSnmpd> StartAsync(string networkNamespace, string directory, IEnumerable<string> configLines)
    {
        LabPrerequisites.Require("snmpd", "snmpget", "snmpset");
        var writeCommunity = "rw-" + Guid.NewGuid().ToString("N")[..12];
        var snmpd = new NamespacedSnmpd(networkNamespace, directory, Random.Shared.Next(20000, 60000), writeCommunity);
        await File.WriteAllLinesAsync(snmpd._configFile, [.. configLines, $"rwcommunity {writeCommunity} 127.0.0.1"]);
        await snmpd.StartProcessAsync();
        return snmpd;
    }

    /// <summary>Starts snmpd again (after <see cref="KillAsync"/>): a new process, so sysUpTime starts from 0.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>SIGSTOP: the agent stays bound but answers nothing (requests are dropped).</summary>
    public Task PauseAsync() => ProcessRunnerSignals.SendAsync(ProcessId, "STOP");

    public Task ResumeAsync() => ProcessRunnerSignals.SendAsync(ProcessId, "CONT");

    /// <summary>SIGKILL (a stopped process receives it too) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        await ProcessRunnerSignals.SendAsync(_process.Id, "KILL");
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>snmpget of one numeric OID with the test's community, value only (-Oqv; Timeticks as a number, -Ot).</summary>
    public async Task<string> GetAsync(string oid)
    {
        var result = await OvsLab.ExecAsync(Namespace, ["snmpget", "-v2c", "-c", WriteCommunity, "-On", "-Oqv", "-Ot", "-t", "2", "-r", "1", Address, oid], TimeSpan.FromSeconds(15));
        return result.StandardOutput.Trim();
    }

    /// <summary>Sets ifAlias of one ifIndex to raw bytes (snmpset hex string), as an operator's switch config would.</summary>
    public Task SetIfAliasAsync(int ifIndex, ReadOnlySpan<byte> alias) =>
        OvsLab.ExecAsync(
            Namespace,
            ["snmpset", "-v2c", "-c", WriteCommunity, "-On", "-t", "2", "-r", "1", Address, $"1.3.6.1.2.1.31.1.1.1.18.{ifIndex}", "x", Convert.ToHexString(alias)],
            TimeSpan.FromSeconds(15));

    public async ValueTask DisposeAsync() => await KillAsync();

    private async Task StartProcessAsync()
    {
        _process = BackgroundProcess.Start(
            Namespace,
            LabPrerequisites.FindOnPath("snmpd")!,
            ["-f", "-Lo", "-C", "-c", _configFile, "-p", Path.Combine(Directory, "snmpd.pid"), $"udp:{Address}"],
            new Dictionary<string, string> { ["SNMP_PERSISTENT_DIR"] = StateDirectory });
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"snmpd exited at start:\n{_process.Output}");
            }

            var probe = await OvsLab.ExecAsync(Namespace, ["snmpget", "-v2c", "-c", WriteCommunity, "-On", "-t", "1", "-r", "0", Address, "1.3.6.1.2.1.1.3.0"], TimeSpan.FromSeconds(5), check: false);
            if (probe.ExitCode == 0)
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"snmpd did not answer on {Address} in {Namespace} within 20s:\n{_process.Output}");
            }

            await Task.Delay(100);
        }
    }
}
