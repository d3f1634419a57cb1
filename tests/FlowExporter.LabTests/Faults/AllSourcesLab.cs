using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.Tests.Kubernetes;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Faults;

/// <summary>
/// The real exporter with every source on at once, as on a node: capture on an OVS pod port, OVS over OVSDB, SNMP to a
/// real snmpd serving the node's IF-MIB (v2c and v3 authPriv), Kubernetes from the API stand-in (reached over a veth
/// from the node namespace to the test's namespace), and an endpoints file. Secrets are unique sentinels per run;
/// the exporter logs at Trace. Optionally, SNMP targets that always fail (wrong community, wrong auth passphrase, an
/// agent answering garbage) run beside the good ones.
/// </summary>
internal sealed class AllSourcesLab : IAsyncDisposable
{
    public const string GoodSwitch = "good";
    public const string V3Switch = "v3good";
    /// <summary>The server pod's address: the stand-in names it with the hostile pod name, so the capture's join carries it.</summary>
    public const string KubePodIp = "10.99.41.2";

    /// <summary>The client pod's address: the endpoints file names it with the hostile name.</summary>
    public const string FilePodIp = "10.99.41.1";
    public const string V3User = "feuser";
    public const int ExporterPort = 9004;

    private readonly List<string> _secrets = [];
    private readonly List<Func<Task>> _cleanup = [];
    private BackgroundProcess? _junkAgent;

    private AllSourcesLab(OvsLab ovs)
    {
        Ovs = ovs;
    }

    public OvsLab Ovs { get; }

    public LabPod Client { get; private set; } = null!;

    public LabPod Server { get; private set; } = null!;

    public string HostilePort { get; private set; } = null!;

    /// <summary>The hostile port's ifIndex (net-snmp on Linux uses the kernel's ifindex), whose ifAlias is hostile too.</summary>
    public int HostileIfIndex { get; private set; }

    public NamespacedSnmpd Snmpd { get; private set; } = null!;

    public FakeApiServer Api { get; private set; } = null!;

    public LabExporter Exporter { get; private set; } = null!;

    public string ConfigFile { get; private set; } = null!;

    /// <summary>Every secret the exporter was given (SNMP communities, v3 passphrases, the kubeconfig token).</summary>
    public IReadOnlyList<string> Secrets => _secrets;

    public string Node => Ovs.NodeNamespace;

    /// <summary>Sources whose <c>flowexporter_source_up</c> must be 1 when nothing is broken.</summary>
    public static readonly string[] HealthySources = ["capture", "ovs", $"snmp:{GoodSwitch}", $"snmp:{V3Switch}", "kubernetes", "endpoints_file"];

    public static async Task<AllSourcesLab> StartAsync(string prefix, bool failingSnmpTargets = false)
    {
        LabPrerequisites.RequireOvsLab("snmpd", "snmpget", "snmpset", "curl", "ping", "promtool", "python3");
        var ovs = await OvsLab.StartAsync(prefix);
        var lab = new AllSourcesLab(ovs);
        try
        {
            await lab.StartCoreAsync(failingSnmpTargets);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(bool failingSnmpTargets)
    {
        var dir = Ovs.Directory;
        Client = await Ovs.AddPodAsync("cli", "10.99.41.1/24", new Dictionary<string, string> { ["iface-id"] = HostileValues.IfaceId });
        Server = await Ovs.AddPodAsync("srv", "10.99.41.2/24");
        HostilePort = HostileValues.InterfaceName(Ovs.Suffix);
        await OvsLab.ExecAsync(Node, ["ip", "link", "add", HostilePort, "type", "veth", "peer", "name", "hp" + Ovs.Suffix]);
        await OvsLab.ExecAsync(Node, ["ip", "link", "set", HostilePort, "up"]);
        await OvsLab.ExecAsync(Node, ["ip", "link", "set", "hp" + Ovs.Suffix, "up"]);
        await Ovs.VsctlAsync(["add-port", OvsLab.BridgeName, HostilePort]);

        // SNMP: sentinel secrets, unique per run, so any leak is unambiguous.
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var community = $"SENTINEL-COMMUNITY-{tag}";
        var authPass = $"SENTINEL-AUTHPASS-{tag}";
        var privPass = $"SENTINEL-PRIVPASS-{tag}";
        _secrets.AddRange([community, authPass, privPass]);
        Snmpd = await NamespacedSnmpd.StartAsync(
            Node,
            dir,
            [$"rocommunity {community} 127.0.0.1", "sysName lab-switch-1", "dontLogTCPWrappersConnects yes", $"createUser {V3User} SHA \"{authPass}\" AES \"{privPass}\"", $"rouser {V3User} authpriv"]);
        _cleanup.Add(async () => await Snmpd.DisposeAsync());
        using (var link = System.Text.Json.JsonDocument.Parse((await OvsLab.ExecAsync(Node, ["ip", "-j", "link", "show", HostilePort])).StandardOutput))
        {
            HostileIfIndex = link.RootElement[0].GetProperty("ifindex").GetInt32();
        }

        await Snmpd.SetIfAliasAsync(HostileIfIndex, HostileValues.IfAliasBytes);

        // Kubernetes: the stand-in listens on the test's side of a veth into the node namespace.
        var uplinkIp = await AddUplinkAsync();
        Api = await FakeApiServer.StartAsync(uplinkIp);
        _cleanup.Add(async () => await Api.DisposeAsync());
        Api.SetList("pods", PodList("100", KubePods()));
        Api.SetList("services", """{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"100"},"items":[]}""");
        Api.SetList("replicasets", """{"kind":"ReplicaSetList","apiVersion":"apps/v1","metadata":{"resourceVersion":"100"},"items":[]}""");
        Api.SetList("jobs", """{"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"100"},"items":[]}""");
        var token = $"SENTINEL-TOKEN-{tag}";
        _secrets.Add(token);
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: lab
              cluster:
                server: {Api.BaseAddress.ToString().TrimEnd('/')}
            contexts:
            - name: lab
              context:
                cluster: lab
                user: lab
            current-context: lab
            users:
            - name: lab
              user:
                token: {token}
            """);

        var endpoints = Path.Combine(dir, "endpoints.yaml");
        await File.WriteAllBytesAsync(endpoints, [.. System.Text.Encoding.UTF8.GetBytes($"- ip: {FilePodIp}\n  namespace: legacy\n  name: "), .. HostileValues.EndpointNameYaml, (byte)'\n']);

        await WriteSecretAsync("good-community", community);
        await WriteSecretAsync("v3-auth", authPass);
        await WriteSecretAsync("v3-priv", privPass);
        var targets = new List<string>
        {
            Target(GoodSwitch, Snmpd.Address, "community_file: " + Path.Combine(dir, "good-community")),
            Target(V3Switch, Snmpd.Address, $"version: 3\n      user: {V3User}\n      security_level: authPriv\n      auth_protocol: SHA\n      auth_passphrase_file: {Path.Combine(dir, "v3-auth")}\n      priv_protocol: AES\n      priv_passphrase_file: {Path.Combine(dir, "v3-priv")}"),
        };
        if (failingSnmpTargets)
        {
            var wrongCommunity = $"SENTINEL-WRONGCOMMUNITY-{tag}";
            var wrongAuth = $"SENTINEL-WRONGAUTH-{tag}";
            var junkCommunity = $"SENTINEL-JUNKCOMMUNITY-{tag}";
            _secrets.AddRange([wrongCommunity, wrongAuth, junkCommunity]);
            await WriteSecretAsync("wrong-community", wrongCommunity);
            await WriteSecretAsync("wrong-auth", wrongAuth);
            await WriteSecretAsync("junk-community", junkCommunity);
            var junkPort = await StartJunkAgentAsync();
            targets.Add(Target("wrongcomm", Snmpd.Address, "community_file: " + Path.Combine(dir, "wrong-community")));
            targets.Add(Target("wrongauth", Snmpd.Address, $"version: 3\n      user: {V3User}\n      security_level: authPriv\n      auth_protocol: SHA\n      auth_passphrase_file: {Path.Combine(dir, "wrong-auth")}\n      priv_protocol: AES\n      priv_passphrase_file: {Path.Combine(dir, "v3-priv")}"));
            targets.Add(Target("junk", $"127.0.0.1:{junkPort}", "community_file: " + Path.Combine(dir, "junk-community")));
        }

        // Targets that never answer would hold /readyz at 503 forever (every switch must have answered once): let the
        // other sources gate readiness then, as an operator with a permanently broken switch would.
        var readiness = failingSnmpTargets ? "readiness:\n  sources: [capture, ovs, kubernetes, endpoints_file]" : string.Empty;
        ConfigFile = Path.Combine(dir, "flowexporter.yaml");
        await File.WriteAllTextAsync(ConfigFile, $"""
            node: lab-node
            capture:
              interfaces: ["{Client.PortName}"]
            ovs:
              mode: ovsdb
              db: {Ovs.DbTarget}
            snmp:
              targets:
            {string.Join('\n', targets)}
            kubernetes:
              enabled: true
              kubeconfig: {kubeconfig}
              request_timeout: 2s
            endpoints_file: {endpoints}
            {readiness}

            """);

        Exporter = await LabExporter.StartAsync(Node, ["--config", ConfigFile], ExporterPort, TraceLogging);
        _cleanup.Add(async () => await Exporter.DisposeAsync());
    }

    /// <summary>Logging at its most verbose, for every category: secrets must not appear even there.</summary>
    public static readonly IReadOnlyDictionary<string, string> TraceLogging = new Dictionary<string, string>
    {
        ["Logging__LogLevel__Default"] = "Trace",
        ["Logging__LogLevel__Microsoft"] = "Trace",
        ["Logging__LogLevel__System"] = "Trace",
        ["Logging__Console__LogLevel__Default"] = "Trace",
    };

    /// <summary>The pods the stand-in lists: one with a hostile name and namespace, one ordinary.</summary>
    public static string[] KubePods() =>
    [
        Pod(HostileValues.PodNamespaceJson, HostileValues.PodNameJson, KubePodIp, "90"),
        Pod("shop", "web-0", "10.99.41.99", "91"),
    ];

    public static string Pod(string namespaceJson, string nameJson, string ip, string resourceVersion) =>
        $$$"""{"kind":"Pod","apiVersion":"v1","metadata":{"name":"{{{nameJson}}}","namespace":"{{{namespaceJson}}}","uid":"{{{Guid.NewGuid()}}}","resourceVersion":"{{{resourceVersion}}}"},"spec":{"nodeName":"lab-node","containers":[{"name":"c","image":"x"}]},"status":{"phase":"Running","podIP":"{{{ip}}}","podIPs":[{"ip":"{{{ip}}}"}]}}""";

    public static string PodList(string resourceVersion, IEnumerable<string> pods) =>
        $$"""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"{{resourceVersion}}"},"items":[{{string.Join(',', pods)}}]}""";

    public async Task<IReadOnlyList<Sample>> ScrapeAsync() => await Exporter.ScrapeAsync();

    /// <summary>Scrapes until the condition holds; fails naming what did not happen, with the health series.</summary>
    public async Task<IReadOnlyList<Sample>> UntilAsync(Func<IReadOnlyList<Sample>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<Sample> samples = [];
        while (deadline.Elapsed < timeout)
        {
            samples = await ScrapeAsync();
            if (condition(samples))
            {
                return samples;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:0}s. Health:\n" + Health(samples) + "\nExporter output (tail):\n" + Tail(Exporter.Process.Output));
    }

    /// <summary>Waits until every source is up and its series are in the scrape (metadata is published shortly after up).</summary>
    public Task<IReadOnlyList<Sample>> AllServingAsync(TimeSpan timeout) =>
        UntilAsync(s => HealthySources.All(x => IsUp(s, x) && HasSeries(s, x)), timeout, "every source up and serving");

    /// <summary>A source ("ovs") or one instance of it ("snmp:tor-1": flowexporter_source_instance_up) is up.</summary>
    public static bool IsUp(IReadOnlyList<Sample> samples, string source) => HealthValue(samples, source) == 1;

    public static bool IsDown(IReadOnlyList<Sample> samples, string source) => HealthValue(samples, source) == 0;

    private static double? HealthValue(IReadOnlyList<Sample> samples, string source)
    {
        var colon = source.IndexOf(':', StringComparison.Ordinal);
        var match = colon < 0
            ? samples.Named("flowexporter_source_up").FirstOrDefault(s => s.Label("source") == source)
            : samples.Named("flowexporter_source_instance_up").FirstOrDefault(s => s.Label("source") == source[..colon] && s.Label("instance") == source[(colon + 1)..]);
        return match?.Value;
    }

    /// <summary>Every source but the ones named is up and has its own series in the scrape.</summary>
    public void AssertOthersServe(IReadOnlyList<Sample> samples, params string[] except)
    {
        foreach (var source in HealthySources.Except(except))
        {
            Assert.True(IsUp(samples, source), $"{source} is up while another source is broken:\n{Health(samples)}");
            Assert.True(HasSeries(samples, source), $"{source} still has its series while another source is broken:\n{Health(samples)}");
        }
    }

    public bool HasSeries(IReadOnlyList<Sample> samples, string source) => source switch
    {
        "capture" => samples.Named("network_capture_interface_up").Any(s => s.Label("interface") == Client.PortName && s.Value == 1),
        "ovs" => samples.Named("ovs_interface_rx_bytes_total").Any(s => s.Label("interface") == Server.PortName),
        "kubernetes" => samples.Named("network_endpoint_info").Any(s => s.Label("ip") == KubePodIp),
        "endpoints_file" => samples.Named("network_endpoint_info").Any(s => s.Label("ip") == FilePodIp),
        _ when source.StartsWith("snmp:", StringComparison.Ordinal) =>
            samples.Named("network_switch_port_receive_bytes_total").Any(s => s.Label("switch") == source["snmp:".Length..] && s.Label("if_name") == "lo"),
        _ => throw new ArgumentException(source),
    };

    /// <summary>Pings from the client pod to the server pod (traffic on the captured port).</summary>
    public Task PingAsync(int count) =>
        OvsLab.ExecAsync(Client.Namespace, ["ping", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", Server.Ip], TimeSpan.FromSeconds(30));

    /// <summary>Pings once at a time until one answer comes back (a path through a re-attached port), or fails.</summary>
    public async Task UntilPingWorksAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var ping = await OvsLab.ExecAsync(Client.Namespace, ["ping", "-c", "1", "-W", "1", Server.Ip], TimeSpan.FromSeconds(10), check: false);
            if (ping.Succeeded)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"no ping answer through the bridge within {timeout.TotalSeconds:0}s:\n{ping.StandardOutput}");
            }
        }
    }

    /// <summary>Fails if any secret is in the text (a scrape, the exporter's output).</summary>
    public void AssertNoSecretIn(string text, string where)
    {
        foreach (var secret in _secrets)
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"a secret ({secret[..secret.LastIndexOf('-')]}) appeared in {where}");
        }
    }

    public static string Health(IReadOnlyList<Sample> samples) =>
        string.Join('\n', samples.Where(s => s.Name.StartsWith("flowexporter_source_", StringComparison.Ordinal) || s.Name == "network_switch_last_poll_error_info")
            .Select(s => $"{s.Name}{{{string.Join(',', s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value.ToString(CultureInfo.InvariantCulture)}"));

    public static string Tail(string text, int lines = 60) => string.Join('\n', text.Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            try
            {
                await _cleanup[i]();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
            {
            }
        }

        if (_junkAgent is not null)
        {
            await _junkAgent.DisposeAsync();
        }

        await Ovs.DisposeAsync();
    }

    private static string Target(string name, string address, string rest) =>
        $"    - name: {name}\n      address: {address}\n      {rest}\n      interval: 2s\n      timeout: 500ms\n      retries: 1";

    private Task WriteSecretAsync(string file, string secret) => File.WriteAllTextAsync(Path.Combine(Ovs.Directory, file), secret + "\n");

    /// <summary>A veth from the test's namespace into the node namespace, on a /30 picked per run; returns our side's address.</summary>
    private async Task<IPAddress> AddUplinkAsync()
    {
        var third = 200 + RandomNumberGenerator.GetInt32(50);
        var fourth = 4 * RandomNumberGenerator.GetInt32(64);
        var ours = $"10.99.{third}.{fourth + 1}";
        var theirs = $"10.99.{third}.{fourth + 2}";
        var name = "feup" + Ovs.Suffix;
        (await ProcessRunner.RunAsync("ip", ["link", "add", name, "type", "veth", "peer", "name", "up0", "netns", Node], TimeSpan.FromSeconds(10))).EnsureSuccess();
        _cleanup.Add(async () => await ProcessRunner.RunAsync("ip", ["link", "del", name], TimeSpan.FromSeconds(10)));
        foreach (var (ns, dev, address) in new[] { ((string?)null, name, ours), (Node, "up0", theirs) })
        {
            List<string> prefix = ns is null ? [] : ["-n", ns];
            (await ProcessRunner.RunAsync("ip", [.. prefix, "addr", "add", $"{address}/30", "dev", dev], TimeSpan.FromSeconds(10))).EnsureSuccess();
            (await ProcessRunner.RunAsync("ip", [.. prefix, "link", "set", dev, "up"], TimeSpan.FromSeconds(10))).EnsureSuccess();
        }

        return IPAddress.Parse(ours);
    }

    /// <summary>
    /// An "agent" in the node namespace that answers every request with a truncated copy of it (which carries the
    /// community): malformed BER, so the poll fails as malformed_response without the exporter ever echoing it.
    /// </summary>
    private async Task<int> StartJunkAgentAsync()
    {
        var port = Random.Shared.Next(20000, 60000);
        while (port == Snmpd.Port)
        {
            port = Random.Shared.Next(20000, 60000);
        }

        const string script = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", int(sys.argv[1])))
            print("junk agent ready", flush=True)
            while True:
                data, peer = s.recvfrom(65535)
                s.sendto(data[: len(data) // 2], peer)
            """;
        var file = Path.Combine(Ovs.Directory, "junk_agent.py");
        await File.WriteAllTextAsync(file, script);
        _junkAgent = BackgroundProcess.Start(Node, LabPrerequisites.FindOnPath("python3")!, [file, port.ToString(CultureInfo.InvariantCulture)]);
        await _junkAgent.WaitForOutputAsync("junk agent ready", TimeSpan.FromSeconds(20));
        return port;
    }
}
