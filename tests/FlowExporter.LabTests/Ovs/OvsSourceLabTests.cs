using System.Text.Json;
using FlowExporter.LabTests.Lab;
using Xunit.Abstractions;

namespace FlowExporter.LabTests.Ovs;

/// <summary>
/// Both OVS modes against a real Open vSwitch (userspace datapath) with pods in namespaces: the same behaviour is
/// asserted for ovsdb (over the unix socket and over TCP) and vsctl (over TCP and the unix socket).
/// </summary>
[Trait("Category", "Lab")]
public sealed class OvsSourceLabTests(ITestOutputHelper output)
{
    private static readonly string[] Counters =
        ["rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"];

    private static string Db(OvsLab lab, string transport) => transport == "unix" ? lab.DbTarget : lab.TcpTarget;

    [Theory]
    [InlineData("ovsdb", "unix")]
    [InlineData("ovsdb", "tcp")]
    [InlineData("vsctl", "tcp")]
    [InlineData("vsctl", "unix")]
    public async Task After_iperf3_traffic_every_counter_equals_ovs_vsctl_and_pods_ports_added_and_deleted_follow(string mode, string transport)
    {
        LabPrerequisites.RequireOvsLab("iperf3");
        await using var lab = await OvsLab.StartAsync("feo");
        var ovnk = await lab.AddPodAsync("ovnk", "10.99.3.1/24", new Dictionary<string, string> { ["iface-id"] = "shop_frontend-1" });
        var kovn = await lab.AddPodAsync(
            "kovn", "10.99.3.2/24",
            new Dictionary<string, string> { ["pod_name"] = "redis-0", ["pod_namespace"] = "cache", ["ip"] = "10.99.3.2", ["iface-id"] = "redis-0.cache" },
            fillAttachedMac: false);
        var antr = await lab.AddPodAsync(
            "antr", "10.99.3.3/24",
            new Dictionary<string, string> { ["pod-name"] = "api-0", ["pod-namespace"] = "backend", ["ip"] = "10.99.3.3" });
        var ostk = await lab.AddPodAsync("ostk", "10.99.3.4/24", new Dictionary<string, string> { ["iface-id"] = "3f1c6a52-9e0b-4c1e-8d2b-6a7e5f4c3b2a" });

        await using var kit = new OvsLabKit(OvsLabKit.OptionsFor(mode, Db(lab, transport)));
        if (mode == "ovsdb")
        {
            await kit.StartAsync();
        }

        // Traffic: ovnk -> antr and kovn -> antr with iperf3 (TCP through the netdev datapath), ostk pings antr.
        var sentByOvnk = await IperfAsync(ovnk, antr, 5201);
        var sentByKovn = await IperfAsync(kovn, antr, 5202);
        await OvsLab.ExecAsync(ostk.Namespace, ["ping", "-c", "3", "-i", "0.2", "-W", "2", antr.Ip]);
        output.WriteLine($"iperf3 payload bytes sent: ovnk {sentByOvnk}, kovn {sentByKovn}");

        // Every exported counter of every pod port equals ovs-vsctl's statistics read right after the scrape.
        // vswitchd refreshes statistics every few seconds: retry until a scrape and the read that follows agree.
        var pods = new[] { ovnk, kovn, antr, ostk };
        string scrape = string.Empty;
        var mismatch = string.Empty;
        await OvsLabKit.WaitUntilAsync(
            async () =>
            {
                scrape = await kit.ScrapeAsync();
                mismatch = string.Empty;
                foreach (var pod in pods)
                {
                    var stats = OvsLabKit.ParseStatistics(await lab.VsctlAsync(["get", "Interface", pod.PortName, "statistics"]));
                    foreach (var counter in Counters)
                    {
                        var exported = OvsLabKit.Value(scrape, $"ovs_interface_{counter}_total", pod.PortName);
                        ulong? truth = stats.TryGetValue(counter, out var v) ? v : null;
                        if (exported != truth)
                        {
                            mismatch += $"{pod.PortName} {counter}: exported {exported?.ToString() ?? "absent"}, ovs-vsctl {truth?.ToString() ?? "absent"}; ";
                        }
                    }
                }

                // Both reads equal but stale (before vswitchd's next statistics refresh) does not count: wait for the traffic.
                return mismatch.Length == 0 &&
                    OvsLabKit.Value(scrape, "ovs_interface_rx_bytes_total", ovnk.PortName) >= (ulong)sentByOvnk &&
                    OvsLabKit.Value(scrape, "ovs_interface_rx_bytes_total", kovn.PortName) >= (ulong)sentByKovn &&
                    OvsLabKit.Value(scrape, "ovs_interface_tx_bytes_total", antr.PortName) >= (ulong)(sentByOvnk + sentByKovn);
            },
            TimeSpan.FromSeconds(30),
            () => "exported counters to equal ovs-vsctl statistics and to include the traffic: " + mismatch);

        // OVS's perspective: the switch received (rx) what the iperf3 client pod sent, at least its payload.
        Assert.True(OvsLabKit.Value(scrape, "ovs_interface_rx_bytes_total", ovnk.PortName) >= (ulong)sentByOvnk);
        Assert.True(OvsLabKit.Value(scrape, "ovs_interface_rx_bytes_total", kovn.PortName) >= (ulong)sentByKovn);
        Assert.True(OvsLabKit.Value(scrape, "ovs_interface_tx_bytes_total", antr.PortName) >= (ulong)(sentByOvnk + sentByKovn));
        foreach (var (labels, value) in OvsLabKit.Samples(scrape, "ovs_interface_rx_bytes_total"))
        {
            output.WriteLine($"rx_bytes {{{labels}}} {value}");
        }

        // Pods and namespaces, per CNI convention; the OpenStack-style port is exported unmapped.
        var ofport = await lab.VsctlAsync(["get", "Interface", ovnk.PortName, "ofport"]);
        Assert.Equal(
            $"node=\"lab-node\",bridge=\"br0\",interface=\"{ovnk.PortName}\",ofport=\"{ofport.Trim()}\",type=\"system\",pod_namespace=\"shop\",pod_name=\"frontend-1\"",
            OvsLabKit.Labels(scrape, "ovs_interface_rx_bytes_total", ovnk.PortName));
        Assert.EndsWith("pod_namespace=\"cache\",pod_name=\"redis-0\"", OvsLabKit.Labels(scrape, "ovs_interface_tx_bytes_total", kovn.PortName));
        Assert.EndsWith("pod_namespace=\"backend\",pod_name=\"api-0\"", OvsLabKit.Labels(scrape, "ovs_interface_tx_bytes_total", antr.PortName));
        Assert.EndsWith("type=\"system\"", OvsLabKit.Labels(scrape, "ovs_interface_tx_bytes_total", ostk.PortName));
        Assert.Contains($"interface=\"{ostk.PortName}\"", scrape);
        Assert.Contains($"iface_id=\"3f1c6a52-9e0b-4c1e-8d2b-6a7e5f4c3b2a\",attached_mac=\"{ostk.Mac}\",external_ids_convention=\"openstack\"", scrape);
        Assert.Equal(1UL, OvsLabKit.Value(scrape, "ovs_interface_link_up", ovnk.PortName));
        Assert.Equal(1UL, OvsLabKit.Value(scrape, "ovs_interface_admin_up", ovnk.PortName));
        Assert.True(kit.IsUp);

        // A port deleted with del-port disappears; a port added appears, without restarting the source.
        await lab.RemovePortAsync(ostk.PortName);
        await OvsLabKit.WaitUntilAsync(
            async () => !(await kit.ScrapeAsync()).Contains($"interface=\"{ostk.PortName}\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15),
            () => "the deleted port to leave the exposition");

        var late = await lab.AddPodAsync("late", "10.99.3.5/24", new Dictionary<string, string> { ["pod-name"] = "late-0", ["pod-namespace"] = "jobs" });
        await OvsLabKit.WaitUntilAsync(
            async () => OvsLabKit.Labels(await kit.ScrapeAsync(), "ovs_interface_info", late.PortName)?.Contains("pod_namespace=\"jobs\",pod_name=\"late-0\"", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(15),
            () => "the added port to appear with its pod");
        Assert.True(kit.IsUp);
    }

    [Theory]
    [InlineData("ovsdb", "unix")]
    [InlineData("vsctl", "unix")]
    public async Task Stopping_ovsdb_server_turns_up_to_0_and_restarting_it_brings_the_source_back_by_itself(string mode, string transport)
    {
        await using var lab = await OvsLab.StartAsync("fef");
        var pod = await lab.AddPodAsync("p1", "10.99.4.1/24", new Dictionary<string, string> { ["iface-id"] = "ns1_p1" });
        await using var kit = new OvsLabKit(OvsLabKit.OptionsFor(mode, Db(lab, transport)));
        await kit.StartAsync();

        await OvsLabKit.WaitUntilAsync(
            async () => kit.IsUp && (await kit.ScrapeAsync()).Contains($"interface=\"{pod.PortName}\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), () => "the source to be up with the pod's port");

        await lab.StopDatabaseAsync();
        await OvsLabKit.WaitUntilAsync(
            async () => !kit.IsUp && (await kit.ScrapeAsync()).Length == 0,
            TimeSpan.FromSeconds(15), () => "up 0 and no OVS series after ovsdb-server stopped");

        await lab.StartDatabaseAsync();
        await OvsLabKit.WaitUntilAsync(
            async () => kit.IsUp && (await kit.ScrapeAsync()).Contains("pod_namespace=\"ns1\",pod_name=\"p1\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), () => "up 1 and the pod's series back after ovsdb-server restarted");
    }

    /// <summary>Runs iperf3 from <paramref name="client"/> to <paramref name="server"/>; returns the payload bytes the client sent.</summary>
    private static async Task<long> IperfAsync(LabPod client, LabPod server, int port)
    {
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var stopServer = new CancellationTokenSource();
        // Not daemonized: the server is this test's child, killed (with its tree) when the test is done with it.
        var serverRun = OvsLab.ExecAsync(
            server.Namespace, ["iperf3", "-s", "-1", "-B", server.Ip, "-p", portText], TimeSpan.FromSeconds(60), check: false, stopServer.Token);
        try
        {
            long sent = 0;
            var last = string.Empty;
            await OvsLabKit.WaitUntilAsync(
                async () =>
                {
                    var result = await OvsLab.ExecAsync(
                        client.Namespace, ["iperf3", "-c", server.Ip, "-p", portText, "-t", "2", "-J"], TimeSpan.FromSeconds(30), check: false);
                    last = result.StandardOutput + result.StandardError;
                    if (!result.Succeeded)
                    {
                        return false;
                    }

                    using var json = JsonDocument.Parse(result.StandardOutput);
                    if (json.RootElement.TryGetProperty("error", out _) ||
                        !json.RootElement.TryGetProperty("end", out var end) || !end.TryGetProperty("sum_sent", out var sum))
                    {
                        return false;
                    }

                    sent = sum.GetProperty("bytes").GetInt64();
                    return true;
                },
                TimeSpan.FromSeconds(20),
                () => "iperf3 to run: " + last);
            return sent;
        }
        finally
        {
            await stopServer.CancelAsync();
            try
            {
                await serverRun;
            }
            catch (OperationCanceledException)
            {
            }
            catch (TimeoutException)
            {
            }
        }
    }
}
