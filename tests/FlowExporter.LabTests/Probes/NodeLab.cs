using System.Globalization;
using System.Security.Cryptography;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Probes;

/// <summary>
/// "Nodes" as network namespaces on one Linux bridge (in a switch namespace of its own), each with an <c>eth0</c>
/// carrying two addresses: the host network (<see cref="HostAddress"/>) and the pod network (<see cref="PodAddress"/>),
/// like a node whose exporter pod has an address of its own. IPv6 is off. Every name carries a random suffix;
/// disposal deletes the namespaces (and with them the veths and the bridge).
/// </summary>
public sealed class NodeLab : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);
    private readonly List<string> _namespaces = [];

    private NodeLab(string prefix)
    {
        Suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        SwitchNamespace = $"{prefix}-sw-{Suffix}";
        Directory = System.IO.Directory.CreateTempSubdirectory($"{prefix}-{Suffix}-").FullName;
    }

    public string Suffix { get; }

    public string SwitchNamespace { get; }

    public string Directory { get; }

    public IReadOnlyList<string> Nodes => [.. _namespaces.Skip(1)];

    public static string HostAddress(int node) => $"10.99.50.{node}";

    public static string PodAddress(int node) => $"10.99.51.{node}";

    public string Namespace(int node) => _namespaces[node];

    public static async Task<NodeLab> StartAsync(string prefix, int nodes)
    {
        LabPrerequisites.Require("ip", "sysctl", "curl");
        var lab = new NodeLab(prefix);
        try
        {
            await lab.AddNamespaceAsync(lab.SwitchNamespace);
            await Ip(["-n", lab.SwitchNamespace, "link", "add", "br0", "type", "bridge"]);
            await Ip(["-n", lab.SwitchNamespace, "link", "set", "br0", "up"]);
            for (var i = 1; i <= nodes; i++)
            {
                var node = $"{prefix}-n{i}-{lab.Suffix}";
                await lab.AddNamespaceAsync(node);
                var port = $"v{i}";
                await Ip(["-n", lab.SwitchNamespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", node]);
                await Ip(["-n", lab.SwitchNamespace, "link", "set", port, "master", "br0"]);
                await Ip(["-n", lab.SwitchNamespace, "link", "set", port, "up"]);
                await Ip(["-n", node, "addr", "add", HostAddress(i) + "/24", "dev", "eth0"]);
                await Ip(["-n", node, "addr", "add", PodAddress(i) + "/24", "dev", "eth0"]);
                await Ip(["-n", node, "link", "set", "eth0", "up"]);
            }

            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drops, inside <paramref name="node"/>, everything it would send to <paramref name="toward"/>'s addresses (its RSTs too).</summary>
    public async Task BlackholeAsync(int node, int toward, bool add)
    {
        foreach (var address in new[] { HostAddress(toward), PodAddress(toward) })
        {
            await Ip(["-n", Namespace(node), "route", add ? "add" : "del", "blackhole", address + "/32"]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in Enumerable.Reverse(_namespaces))
        {
            await ProcessRunner.RunAsync("ip", ["netns", "del", name], CommandTimeout);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Task<ProcessResult> Ip(IReadOnlyList<string> arguments) => ProcessRunner.CheckAsync("ip", arguments, CommandTimeout);

    private async Task AddNamespaceAsync(string name)
    {
        await Ip(["netns", "add", name]);
        _namespaces.Add(name);
        await Ip(["-n", name, "link", "set", "lo", "up"]);
        foreach (var scope in new[] { "all", "default" })
        {
            await OvsLab.ExecAsync(name, ["sysctl", "-q", "-w", string.Create(CultureInfo.InvariantCulture, $"net.ipv6.conf.{scope}.disable_ipv6=1")]);
        }
    }
}
