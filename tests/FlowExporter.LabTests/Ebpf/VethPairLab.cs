using System.Globalization;
using System.Text.Json;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ebpf;

/// <summary>
/// Two network namespaces joined by one veth pair (10.99.0.1 and fd99::1 in A, .2 and ::2 in B), named uniquely per run
/// and deleted on dispose. Segmentation offloads (TSO, GSO, GRO) are off unless asked for, as in the lab.
/// </summary>
public sealed class VethPairLab : IAsyncDisposable
{
    public const string AddressA = "10.99.0.1";
    public const string AddressB = "10.99.0.2";
    public const string Address6A = "fd99::1";
    public const string Address6B = "fd99::2";

    private VethPairLab(string suffix)
    {
        NamespaceA = $"feb{suffix}a";
        NamespaceB = $"feb{suffix}b";
        InterfaceA = $"feb{suffix}x";
        InterfaceB = $"feb{suffix}y";
        Directory = Path.Combine(Path.GetTempPath(), $"feb{suffix}");
    }

    public string NamespaceA { get; }

    public string NamespaceB { get; }

    public string InterfaceA { get; }

    public string InterfaceB { get; }

    /// <summary>InterfaceA's index inside NamespaceA.</summary>
    public int IndexA { get; private set; }

    /// <summary>A scratch directory for captures, removed on dispose.</summary>
    public string Directory { get; }

    public static async Task<VethPairLab> StartAsync(bool offloads = false)
    {
        var lab = new VethPairLab(Guid.NewGuid().ToString("N")[..6]);
        try
        {
            System.IO.Directory.CreateDirectory(lab.Directory);
            await Ip("netns", "add", lab.NamespaceA);
            await Ip("netns", "add", lab.NamespaceB);
            await Ip("link", "add", lab.InterfaceA, "netns", lab.NamespaceA, "type", "veth", "peer", "name", lab.InterfaceB, "netns", lab.NamespaceB);
            foreach (var (ns, name, v4, v6) in new[] { (lab.NamespaceA, lab.InterfaceA, AddressA, Address6A), (lab.NamespaceB, lab.InterfaceB, AddressB, Address6B) })
            {
                await Ip("-n", ns, "addr", "add", $"{v4}/24", "dev", name);
                await Ip("-n", ns, "addr", "add", $"{v6}/64", "dev", name, "nodad");
                var state = offloads ? "on" : "off";
                await ProcessRunner.CheckAsync("ip", ["netns", "exec", ns, "ethtool", "-K", name, "tso", state, "gso", state, "gro", state]);
                await Ip("-n", ns, "link", "set", name, "up");
                await Ip("-n", ns, "link", "set", "lo", "up");
            }

            var link = await ProcessRunner.CheckAsync("ip", ["-n", lab.NamespaceA, "-j", "link", "show", lab.InterfaceA]);
            using var json = JsonDocument.Parse(link.StandardOutput);
            lab.IndexA = json.RootElement[0].GetProperty("ifindex").GetInt32();
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a command in a namespace and throws unless it exits with 0.</summary>
    public static Task<ProcessResult> ExecAsync(string networkNamespace, IReadOnlyList<string> command, TimeSpan timeout) =>
        ProcessRunner.CheckAsync("ip", ["netns", "exec", networkNamespace, .. command], timeout);

    /// <summary>
    /// The filters on one hook of InterfaceA as <c>tc filter show</c> prints them: each filter's lines that name its
    /// handle (bpf: "handle", u32: "fh"; a u32 filter prints its hash table and its key).
    /// </summary>
    public async Task<IReadOnlyList<string>> FiltersAsync(string hook)
    {
        var shown = await ExecAsync(NamespaceA, ["tc", "filter", "show", "dev", InterfaceA, hook], TimeSpan.FromSeconds(10));
        return shown.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("filter", StringComparison.Ordinal) && (line.Contains(" handle ", StringComparison.Ordinal) || line.Contains(" fh ", StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>The distinct filter priorities on one hook of InterfaceA.</summary>
    public async Task<IReadOnlyList<string>> PrioritiesAsync(string hook) =>
        (await FiltersAsync(hook)).Select(line => line[line.IndexOf("pref ", StringComparison.Ordinal)..].Split(' ')[1]).Distinct().Order(StringComparer.Ordinal).ToList();

    public static string Pref(uint priority) => "pref " + priority.ToString(CultureInfo.InvariantCulture) + " ";

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("ip", ["netns", "del", NamespaceA]);
        await ProcessRunner.RunAsync("ip", ["netns", "del", NamespaceB]);
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static Task<ProcessResult> Ip(params string[] arguments) => ProcessRunner.CheckAsync("ip", arguments);
}
