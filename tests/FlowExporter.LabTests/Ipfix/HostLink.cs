using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// A veth pair from the root namespace (the host) into a lab namespace, on a /30 of 10.97.0.0/16 chosen per run: the
/// path from an exporter in the namespace to collectors listening on the host side. Named uniquely per run; deleting
/// either end (or the namespace) removes both.
/// </summary>
internal sealed class HostLink : IAsyncDisposable
{
    private HostLink(string hostInterface, string hostAddress, string namespaceAddress)
    {
        HostInterface = hostInterface;
        HostAddress = hostAddress;
        NamespaceAddress = namespaceAddress;
    }

    public string HostInterface { get; }

    public string HostAddress { get; }

    public string NamespaceAddress { get; }

    public static async Task<HostLink> AddAsync(string networkNamespace)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var subnet = Random.Shared.Next(1 << 14);
        var prefix = $"10.97.{subnet >> 6}.";
        var link = new HostLink($"fei{suffix}h", prefix + (((subnet & 63) * 4) + 1), prefix + (((subnet & 63) * 4) + 2));
        var inside = $"fei{suffix}n";
        try
        {
            await Ip("link", "add", link.HostInterface, "type", "veth", "peer", "name", inside, "netns", networkNamespace);
            await Ip("addr", "add", $"{link.HostAddress}/30", "dev", link.HostInterface);
            await Ip("link", "set", link.HostInterface, "up");
            await Ip("-n", networkNamespace, "addr", "add", $"{link.NamespaceAddress}/30", "dev", inside);
            await Ip("-n", networkNamespace, "link", "set", inside, "up");
            return link;
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await ProcessRunner.RunAsync("ip", ["link", "del", HostInterface]);

    private static Task<ProcessResult> Ip(params string[] arguments) => ProcessRunner.CheckAsync("ip", arguments);
}
