using System.Security.Cryptography;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.CapturePoints;

/// <summary>
/// A node namespace whose IPv4 and IPv6 default routes leave through a veth to a gateway namespace, with a second veth
/// to the same gateway to move them to (random suffix, removed on dispose). The gateway holds the far address
/// <see cref="FarIp"/> on its loopback, reached from the node only through the default route.
/// </summary>
internal sealed class UplinkLab : IAsyncDisposable
{
    public const string FarIp = "198.51.100.7";

    private UplinkLab(string suffix)
    {
        Suffix = suffix;
        Node = $"fupn-{suffix}";
        Gateway = $"fupg-{suffix}";
        First = $"ua{suffix}";
        Second = $"ub{suffix}";
    }

    public string Suffix { get; }

    public string Node { get; }

    public string Gateway { get; }

    /// <summary>The node's end of the first veth, which carries the default routes at start.</summary>
    public string First { get; }

    /// <summary>The node's end of the second veth.</summary>
    public string Second { get; }

    public static async Task<UplinkLab> CreateAsync()
    {
        LabPrerequisites.Require("ip");
        var lab = new UplinkLab(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        try
        {
            await ProcessRunner.CheckAsync("ip", ["netns", "add", lab.Node]);
            await ProcessRunner.CheckAsync("ip", ["netns", "add", lab.Gateway]);
            await lab.Link(lab.First, $"ga{lab.Suffix}", 70);
            await lab.Link(lab.Second, $"gb{lab.Suffix}", 71);
            await ProcessRunner.CheckAsync("ip", ["-n", lab.Node, "link", "set", "lo", "up"]);
            await ProcessRunner.CheckAsync("ip", ["-n", lab.Gateway, "link", "set", "lo", "up"]);
            await ProcessRunner.CheckAsync("ip", ["-n", lab.Gateway, "addr", "add", $"{FarIp}/32", "dev", "lo"]);
            await lab.RouteVia(lab.First);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Replaces the node's IPv4 (or IPv6) default route with one through <paramref name="nodeEnd"/>.</summary>
    public async Task RouteVia(string nodeEnd, bool ipv4 = true, bool ipv6 = true)
    {
        var subnet = nodeEnd == First ? 70 : 71;
        if (ipv4)
        {
            await ProcessRunner.CheckAsync("ip", ["-n", Node, "route", "replace", "default", "via", $"10.99.{subnet}.2", "dev", nodeEnd]);
        }

        if (ipv6)
        {
            await ProcessRunner.CheckAsync("ip", ["-n", Node, "-6", "route", "replace", "default", "via", $"fd00:99:{subnet}::2", "dev", nodeEnd]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("ip", ["netns", "del", Node]);
        await ProcessRunner.RunAsync("ip", ["netns", "del", Gateway]);
    }

    private async Task Link(string nodeEnd, string gatewayEnd, int subnet)
    {
        await ProcessRunner.CheckAsync("ip", ["-n", Node, "link", "add", nodeEnd, "type", "veth", "peer", "name", gatewayEnd, "netns", Gateway]);
        await ProcessRunner.CheckAsync("ip", ["-n", Node, "addr", "add", $"10.99.{subnet}.1/24", "dev", nodeEnd]);
        await ProcessRunner.CheckAsync("ip", ["-n", Node, "addr", "add", $"fd00:99:{subnet}::1/64", "dev", nodeEnd, "nodad"]);
        await ProcessRunner.CheckAsync("ip", ["-n", Gateway, "addr", "add", $"10.99.{subnet}.2/24", "dev", gatewayEnd]);
        await ProcessRunner.CheckAsync("ip", ["-n", Gateway, "addr", "add", $"fd00:99:{subnet}::2/64", "dev", gatewayEnd, "nodad"]);
        await ProcessRunner.CheckAsync("ip", ["-n", Node, "link", "set", nodeEnd, "up"]);
        await ProcessRunner.CheckAsync("ip", ["-n", Gateway, "link", "set", gatewayEnd, "up"]);
    }
}
