using System.Diagnostics;
using FlowExporter.Ovs;

namespace FlowExporter.Tests.Ovs;

/// <summary>vsctl mode against scripts standing in for ovs-vsctl: the real recorded output, garbage, hangs, failures.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VsctlOvsSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fe-vsctl-").FullName;
    private readonly OvsTestKit _kit = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The stand-in ovs-vsctl: a launcher written once that runs the current body with sh. Tests change only the body,
    /// which is read, never executed: rewriting an executable that a test then runs at once fails now and then with
    /// ETXTBSY, when another test's fork still holds the write descriptor (CI saw a recovery step fail so).
    /// </summary>
    private string Script(string body)
    {
        var path = Path.Combine(_dir, "ovs-vsctl");
        File.WriteAllText(path + ".body", body + "\n");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "#!/bin/sh\nexec /bin/sh \"$0.body\" \"$@\"\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static OvsOptions Options(string vsctlPath, double timeoutSeconds = 2) =>
        OvsOptions.Defaults(OvsMode.Vsctl, "unix:/run/fe-test/db.sock") with
        {
            VsctlPath = vsctlPath,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        };

    [Fact]
    public async Task Real_output_becomes_a_snapshot_and_series_with_one_call_and_only_the_needed_columns()
    {
        var args = Path.Combine(_dir, "args");
        var source = _kit.Vsctl(Options(Script($"printf '%s\\n' \"$@\" > {args}; cat {OvsTestKit.Fixture("lab-vsctl-bridge-port-interface.json")}")));

        Assert.True(await source.CollectOnceAsync(CancellationToken.None));

        Assert.True(_kit.IsUp);
        Assert.Equal(5, source.Latest!.Interfaces.Count);
        Assert.Equal(
            [
                "--db=unix:/run/fe-test/db.sock", "--timeout=2", "--format=json", "--data=json",
                "--columns=_uuid,name,ports", "list", "Bridge", "--",
                "--columns=_uuid,name,interfaces", "list", "Port", "--",
                "--columns=_uuid,name,type,ofport,admin_state,link_state,mac_in_use,error,external_ids,statistics", "list", "Interface",
            ],
            File.ReadAllLines(args));
        Assert.Contains(
            "ovs_interface_rx_bytes_total{node=\"node-1\",bridge=\"br0\",interface=\"kovn\",ofport=\"2\",type=\"system\",pod_namespace=\"cache\",pod_name=\"redis-0\"} 852\n",
            OvsTestKit.Render(source));
    }

    [Fact]
    public async Task A_hanging_vsctl_is_killed_at_the_timeout_and_up_is_0()
    {
        var pidFile = Path.Combine(_dir, "pid");
        var source = _kit.Vsctl(Options(Script($"echo $$ > {pidFile}; exec sleep 600"), timeoutSeconds: 1));
        var started = Stopwatch.StartNew();

        Assert.False(await source.CollectOnceAsync(CancellationToken.None));

        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.False(_kit.IsUp);
        Assert.Null(source.Latest);
        Assert.Equal(1, await _kit.ErrorsAsync("timeout"));
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await OvsTestKit.WaitUntilAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(5), "the hanging process to be gone");
        Assert.Equal(string.Empty, OvsTestKit.Render(source));
    }

    [Theory]
    [InlineData("echo 'this is not json'", "parse_error")]
    [InlineData("printf '{\"data\":[[1,2]],\"headings\":[\"_uuid\"]}'", "parse_error")]
    [InlineData("head -c 700 FIXTURE", "parse_error")]
    [InlineData("echo 'ovs-vsctl: unix:/run/x: database connection failed (No such file or directory)' >&2; exit 1", "vsctl_failed")]
    [InlineData("head -c 3000000 /dev/zero | tr '\\0' '['", "vsctl_output_too_large")]
    public async Task Garbage_or_failure_is_counted_with_its_reason_and_the_last_good_snapshot_is_dropped(string body, string reason)
    {
        var good = Script($"cat {OvsTestKit.Fixture("lab-vsctl-bridge-port-interface.json")}");
        var options = Options(good) with { MaxOutputBytes = 1024 * 1024 };
        var source = _kit.Vsctl(options);
        Assert.True(await source.CollectOnceAsync(CancellationToken.None));

        Script(body.Replace("FIXTURE", OvsTestKit.Fixture("lab-vsctl-bridge-port-interface.json"), StringComparison.Ordinal));
        Assert.False(await source.CollectOnceAsync(CancellationToken.None));

        Assert.False(_kit.IsUp);
        Assert.Null(source.Latest);
        Assert.Equal(1, await _kit.ErrorsAsync(reason));

        Script($"cat {OvsTestKit.Fixture("lab-vsctl-bridge-port-interface.json")}");
        Assert.True(await source.CollectOnceAsync(CancellationToken.None));
        Assert.True(_kit.IsUp);
    }

    [Fact]
    public async Task A_missing_vsctl_binary_is_a_failure_not_a_crash()
    {
        var source = _kit.Vsctl(Options(Path.Combine(_dir, "no-such-ovs-vsctl")));
        Assert.False(await source.CollectOnceAsync(CancellationToken.None));
        Assert.Equal(1, await _kit.ErrorsAsync("vsctl_missing"));
    }
}
