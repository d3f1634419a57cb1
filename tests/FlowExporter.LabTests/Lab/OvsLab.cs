using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace FlowExporter.LabTests.Lab;

/// <summary>
/// A private Open vSwitch with the userspace datapath (LAB.md): ovsdb-server (unix socket in a unique temp dir plus
/// ptcp on a free 127.0.0.1 port, both in the test's own network namespace) and ovs-vswitchd inside a "node" network
/// namespace of its own (one userspace vswitchd per namespace), a bridge with datapath_type=netdev, and "pods" as
/// namespaces on veth ports. IPv6 is off in the lab's namespaces so that counters move only with the test's traffic.
/// Every name carries a random suffix so parallel or left-over runs never collide.
/// Disposal stops the daemons and deletes namespaces and the temp dir, and tolerates partial starts.
/// </summary>
public sealed class OvsLab : IAsyncDisposable
{
    public const string BridgeName = "br0";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);
    private readonly List<LabPod> _pods = [];
    private readonly Lock _gate = new();
    private bool _nodeCreated;
    private bool _disposed;

    private OvsLab(string prefix, bool enableDummy)
    {
        Suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Prefix = prefix.Length > 6 ? prefix[..6] : prefix;
        EnableDummy = enableDummy;
        NodeNamespace = $"{Prefix}-node-{Suffix}";
        Directory = System.IO.Directory.CreateTempSubdirectory($"{Prefix}-ovs-{Suffix}-").FullName;
        TcpPort = FreeTcpPort();
    }

    public string Prefix { get; }

    /// <summary>Six random hex digits, part of every name this lab creates.</summary>
    public string Suffix { get; }

    public bool EnableDummy { get; }

    /// <summary>The node namespace where ovs-vswitchd runs and the host ends of the veths live.</summary>
    public string NodeNamespace { get; }

    /// <summary>The lab's temp dir (database, sockets, pid files, logs).</summary>
    public string Directory { get; }

    public string DbSocketPath => Path.Combine(Directory, "db.sock");

    public int TcpPort { get; }

    /// <summary><c>unix:PATH</c> of the database; reachable from any namespace.</summary>
    public string DbTarget => "unix:" + DbSocketPath;

    /// <summary><c>tcp:127.0.0.1:PORT</c>; reachable from the namespace the test runs in (not from the node namespace).</summary>
    public string TcpTarget => $"tcp:127.0.0.1:{TcpPort}";

    public IReadOnlyList<LabPod> Pods
    {
        get
        {
            lock (_gate)
            {
                return [.. _pods];
            }
        }
    }

    private IReadOnlyDictionary<string, string?> OvsEnvironment => new Dictionary<string, string?>
    {
        ["OVS_RUNDIR"] = Directory,
        ["OVS_LOGDIR"] = Directory,
        ["OVS_DBDIR"] = Directory,
    };

    /// <summary>Starts a lab; on any failure everything already created is cleaned up before the exception propagates.</summary>
    public static async Task<OvsLab> StartAsync(string prefix, bool enableDummy = false, CancellationToken cancellationToken = default)
    {
        LabPrerequisites.RequireOvsLab();
        var lab = new OvsLab(prefix, enableDummy);
        try
        {
            await lab.StartCoreAsync(cancellationToken);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await RunAsync("ip", ["netns", "add", NodeNamespace], cancellationToken);
        _nodeCreated = true;
        await RunAsync("ip", ["-n", NodeNamespace, "link", "set", "lo", "up"], cancellationToken);
        await DisableIpv6Async(NodeNamespace, cancellationToken);
        await RunAsync("ovsdb-tool", ["create", Path.Combine(Directory, "conf.db"), LabPrerequisites.OvsSchemaPath], cancellationToken);
        await StartDatabaseAsync(cancellationToken);
        await VsctlAsync(["--no-wait", "init"], cancellationToken: cancellationToken);
        List<string> vswitchd =
        [
            "netns", "exec", NodeNamespace, "ovs-vswitchd", DbTarget, "--disable-system",
            $"--pidfile={Path.Combine(Directory, "vswitchd.pid")}", $"--unixctl={Path.Combine(Directory, "vswitchd.ctl")}",
            $"--log-file={Path.Combine(Directory, "vswitchd.log")}", "--detach",
        ];
        if (EnableDummy)
        {
            vswitchd.Add("--enable-dummy");
        }

        await RunAsync("ip", vswitchd, cancellationToken);
        await VsctlAsync(["add-br", BridgeName, "--", "set", "bridge", BridgeName, "datapath_type=netdev"], cancellationToken: cancellationToken);
    }

    /// <summary>Starts ovsdb-server on the lab's database, unix socket and TCP port (again after <see cref="StopDatabaseAsync"/>).</summary>
    public async Task StartDatabaseAsync(CancellationToken cancellationToken = default)
    {
        await RunAsync(
            "ovsdb-server",
            [
                Path.Combine(Directory, "conf.db"), $"--remote=punix:{DbSocketPath}", $"--remote=ptcp:{TcpPort}:127.0.0.1",
                $"--pidfile={Path.Combine(Directory, "ovsdb.pid")}", $"--unixctl={Path.Combine(Directory, "ovsdb.ctl")}",
                $"--log-file={Path.Combine(Directory, "ovsdb.log")}", "--detach",
            ],
            cancellationToken);
    }

    /// <summary>Stops ovsdb-server (ovs-appctl exit, then a kill if it is still there); the database file stays.</summary>
    public Task StopDatabaseAsync(CancellationToken cancellationToken = default) =>
        StopDaemonAsync("ovsdb", cancellationToken);

    /// <summary>
    /// Creates a pod namespace joined to the bridge: veth with the host end in the node namespace (the OVS port) and
    /// <c>eth0</c> in the pod, address set, links up, tx checksum offload off on both ends (without it TCP stalls in the
    /// netdev datapath), external_ids set on the interface and <c>attached-mac</c> filled in unless given or disabled.
    /// </summary>
    public async Task<LabPod> AddPodAsync(
        string name,
        string ipCidr,
        IReadOnlyDictionary<string, string>? externalIds = null,
        bool fillAttachedMac = true,
        CancellationToken cancellationToken = default)
    {
        var podNamespace = $"{Prefix}-{name}-{Suffix}";
        var portName = (name.Length > 8 ? name[..8] : name) + Suffix;
        await RunAsync("ip", ["netns", "add", podNamespace], cancellationToken);
        var ip = ipCidr.Split('/')[0];
        var pod = new LabPod(name, podNamespace, portName, string.Empty, ip, ipCidr);
        lock (_gate)
        {
            _pods.Add(pod);
        }

        await DisableIpv6Async(podNamespace, cancellationToken);

        await RunAsync("ip", ["-n", NodeNamespace, "link", "add", portName, "type", "veth", "peer", "name", "eth0", "netns", podNamespace], cancellationToken);
        await RunAsync("ip", ["-n", NodeNamespace, "link", "set", portName, "up"], cancellationToken);
        await RunAsync("ip", ["-n", podNamespace, "addr", "add", ipCidr, "dev", "eth0"], cancellationToken);
        await RunAsync("ip", ["-n", podNamespace, "link", "set", "eth0", "up"], cancellationToken);
        await RunAsync("ip", ["-n", podNamespace, "link", "set", "lo", "up"], cancellationToken);
        await ExecAsync(NodeNamespace, ["ethtool", "-K", portName, "tx", "off"], cancellationToken: cancellationToken);
        await ExecAsync(podNamespace, ["ethtool", "-K", "eth0", "tx", "off"], cancellationToken: cancellationToken);
        var linkJson = (await RunAsync("ip", ["-n", podNamespace, "-j", "link", "show", "eth0"], cancellationToken)).StandardOutput;
        using (var doc = JsonDocument.Parse(linkJson))
        {
            pod = pod with { Mac = doc.RootElement[0].GetProperty("address").GetString() ?? string.Empty };
        }

        var ids = new Dictionary<string, string>(externalIds ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (fillAttachedMac && !ids.ContainsKey("attached-mac"))
        {
            ids["attached-mac"] = pod.Mac;
        }

        List<string> args = ["add-port", BridgeName, portName];
        if (ids.Count > 0)
        {
            args.AddRange(["--", "set", "interface", portName]);
            args.AddRange(ids.Select(kv => $"external_ids:{Quote(kv.Key)}={Quote(kv.Value)}"));
        }

        await VsctlAsync(args, cancellationToken: cancellationToken);
        lock (_gate)
        {
            _pods[_pods.FindIndex(p => p.Name == name)] = pod;
        }

        return pod;
    }

    /// <summary>
    /// IPv6 off in a lab namespace (for interfaces created afterwards too): no router solicitations, MLD or neighbour
    /// discovery, so counters move only with the test's own traffic.
    /// </summary>
    private static async Task DisableIpv6Async(string networkNamespace, CancellationToken cancellationToken)
    {
        foreach (var scope in new[] { "all", "default" })
        {
            await ExecAsync(networkNamespace, ["sysctl", "-q", "-w", $"net.ipv6.conf.{scope}.disable_ipv6=1"], cancellationToken: cancellationToken);
        }
    }

    /// <summary>Adds <paramref name="count"/> ports of type dummy (needs <c>enableDummy</c>), many per ovs-vsctl call.</summary>
    public async Task<IReadOnlyList<string>> AddDummyPortsAsync(int count, string namePrefix = "d", int perCall = 200, CancellationToken cancellationToken = default)
    {
        var names = new List<string>(count);
        for (var start = 0; start < count; start += perCall)
        {
            var args = new List<string>();
            for (var i = start; i < Math.Min(count, start + perCall); i++)
            {
                var portName = namePrefix + i.ToString(CultureInfo.InvariantCulture);
                names.Add(portName);
                if (args.Count > 0)
                {
                    args.Add("--");
                }

                args.AddRange(["add-port", BridgeName, portName, "--", "set", "interface", portName, "type=dummy"]);
            }

            await VsctlAsync(args, TimeSpan.FromSeconds(120), cancellationToken);
        }

        return names;
    }

    /// <summary>Deletes a port from the bridge (the veth and namespace stay).</summary>
    public Task RemovePortAsync(string portName, CancellationToken cancellationToken = default) =>
        VsctlAsync(["del-port", BridgeName, portName], cancellationToken: cancellationToken);

    /// <summary>ovs-vsctl against the lab database, with its own --timeout and a process timeout; throws on failure.</summary>
    public async Task<string> VsctlAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? CommandTimeout;
        var result = await RunAsync(
            "ovs-vsctl",
            [$"--db={DbTarget}", $"--timeout={(int)Math.Max(1, limit.TotalSeconds - 2)}", .. arguments],
            cancellationToken,
            limit);
        return result.StandardOutput;
    }

    /// <summary>Runs a command inside a namespace (<c>ip netns exec</c>), with a timeout; throws on a non-zero exit if <paramref name="check"/>.</summary>
    public static async Task<ProcessResult> ExecAsync(
        string networkNamespace,
        IReadOnlyList<string> command,
        TimeSpan? timeout = null,
        bool check = true,
        CancellationToken cancellationToken = default)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", networkNamespace, .. command], timeout ?? CommandTimeout, null, cancellationToken);
        return check ? result.EnsureSuccess() : result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopDaemonAsync("vswitchd", CancellationToken.None);
        await StopDaemonAsync("ovsdb", CancellationToken.None);
        foreach (var pod in Pods)
        {
            await TryAsync("ip", ["netns", "del", pod.Namespace]);
        }

        if (_nodeCreated)
        {
            await TryAsync("ip", ["netns", "del", NodeNamespace]);
        }

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

    private async Task StopDaemonAsync(string name, CancellationToken cancellationToken)
    {
        var control = Path.Combine(Directory, name + ".ctl");
        var pidFile = Path.Combine(Directory, name + ".pid");
        var pid = ReadPid(pidFile);
        if (File.Exists(control))
        {
            await TryAsync("ovs-appctl", [$"--timeout=5", "-t", control, "exit"], cancellationToken);
        }

        if (pid is not { } id)
        {
            return;
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (IsAlive(id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        if (IsAlive(id))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(id).Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        try
        {
            File.Delete(pidFile);
        }
        catch (IOException)
        {
        }
    }

    private static int? ReadPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid) => System.IO.Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task<ProcessResult> RunAsync(string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        (await ProcessRunner.RunAsync(file, arguments, timeout ?? CommandTimeout, OvsEnvironment, cancellationToken)).EnsureSuccess();

    private async Task TryAsync(string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        try
        {
            await ProcessRunner.RunAsync(file, arguments, TimeSpan.FromSeconds(10), OvsEnvironment, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
