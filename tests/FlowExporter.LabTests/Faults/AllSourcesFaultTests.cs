using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.Tests.Kubernetes;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Faults;

/// <summary>
/// One fault at a time with every source on (<see cref="AllSourcesLab"/>): the broken source's
/// <c>flowexporter_source_up</c> goes to 0 within a bound of its interval, every other source keeps serving its
/// series meanwhile, and the broken one comes back by itself once the fault is gone.
/// </summary>
[Trait("Category", "Lab")]
public sealed class AllSourcesFaultTests
{
    /// <summary>SNMP polls every 2 s with 500 ms × 2 attempts per request; the other sources notice at once.</summary>
    private static readonly TimeSpan DownBound = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Ovs_database_stopped_turns_ovs_up_to_0_the_rest_keep_serving_and_a_restart_brings_it_back()
    {
        await using var lab = await AllSourcesLab.StartAsync("fflovs");
        await lab.AllServingAsync(RecoveryBound);

        await lab.Ovs.StopDatabaseAsync();
        var down = await lab.UntilAsync(s => AllSourcesLab.IsDown(s, "ovs"), DownBound, "ovs up 0 after ovsdb-server stopped");
        Assert.Empty(down.Named("ovs_interface_rx_bytes_total"));
        lab.AssertOthersServe(down, "ovs");

        await lab.Ovs.StartDatabaseAsync();
        var back = await lab.UntilAsync(s => AllSourcesLab.IsUp(s, "ovs") && lab.HasSeries(s, "ovs"), RecoveryBound, "ovs back after ovsdb-server restarted");
        lab.AssertOthersServe(back);
    }

    [Fact]
    public async Task Snmp_agent_blackholed_goes_down_and_after_a_restart_with_reset_sysUpTime_counters_continue_without_a_jump()
    {
        await using var lab = await AllSourcesLab.StartAsync("fflsnmp");
        var before = await lab.AllServingAsync(RecoveryBound);
        var uptimeBefore = Ticks(await lab.Snmpd.GetAsync("1.3.6.1.2.1.1.3.0"));
        var loBefore = LoInOctets(before, AllSourcesLab.GoodSwitch);

        // Blackhole: the agent is stopped, its socket stays bound, requests are dropped unanswered.
        await lab.Snmpd.PauseAsync();
        var down = await lab.UntilAsync(
            s => AllSourcesLab.IsDown(s, $"snmp:{AllSourcesLab.GoodSwitch}") && AllSourcesLab.IsDown(s, $"snmp:{AllSourcesLab.V3Switch}"),
            DownBound,
            "both switches down while the agent is blackholed");
        Assert.Contains(down.Named("network_switch_last_poll_error_info"), s => s.Has(("switch", AllSourcesLab.GoodSwitch), ("reason", "timeout")));
        Assert.DoesNotContain(down.Named("network_switch_port_receive_bytes_total"), s => s.Label("switch") == AllSourcesLab.GoodSwitch);
        lab.AssertOthersServe(down, $"snmp:{AllSourcesLab.GoodSwitch}", $"snmp:{AllSourcesLab.V3Switch}");

        // Restart: a new agent process on the same port, so sysUpTime starts again near 0.
        await lab.Snmpd.KillAsync();
        await lab.Snmpd.RestartAsync();
        var uptimeAfter = Ticks(await lab.Snmpd.GetAsync("1.3.6.1.2.1.1.3.0"));
        Assert.True(uptimeAfter < uptimeBefore, $"sysUpTime was reset ({uptimeBefore} -> {uptimeAfter})");
        var back = await lab.UntilAsync(
            s => AllSourcesLab.IsUp(s, $"snmp:{AllSourcesLab.GoodSwitch}") && AllSourcesLab.IsUp(s, $"snmp:{AllSourcesLab.V3Switch}"),
            RecoveryBound,
            "both switches back after the agent restarted");
        lab.AssertOthersServe(back);

        // net-snmp reads the kernel's 64-bit counters, so they did not reset with the agent: the series continues from
        // where it was, never below (a false reset) and never above what the agent itself reports now (a bogus jump).
        var loAfter = LoInOctets(back, AllSourcesLab.GoodSwitch);
        var agentNow = double.Parse(await lab.Snmpd.GetAsync("1.3.6.1.2.1.31.1.1.1.6.1"), CultureInfo.InvariantCulture);
        Assert.InRange(loAfter, loBefore, agentNow);
        var restarts = back.Named("network_switch_agent_restarts_total").Single(s => s.Label("switch") == AllSourcesLab.GoodSwitch);
        Assert.Equal(1, restarts.Value);
    }

    [Fact]
    public async Task Kubernetes_closed_watches_410_gone_and_500s_keep_the_rest_serving_and_the_source_recovers()
    {
        await using var lab = await AllSourcesLab.StartAsync("fflk8s");
        await lab.AllServingAsync(RecoveryBound);

        // A watch closed mid-stream: the source reconnects from the version it saw, without relisting.
        var watch = await lab.Api.NextWatchAsync("pods", RecoveryBound);
        var lists = lab.Api.ListCount("pods");
        watch.Drop();
        watch = await lab.Api.NextWatchAsync("pods", RecoveryBound);
        Assert.Equal(lists, lab.Api.ListCount("pods"));
        lab.AssertOthersServe(await lab.UntilAsync(s => AllSourcesLab.IsUp(s, "kubernetes"), RecoveryBound, "kubernetes up after a closed watch"));

        // 410 Gone on the watch, and the relist then answers 500 three times: up goes to 0, the rest keep serving.
        for (var i = 0; i < 3; i++)
        {
            lab.Api.FailNextList("pods", FakeApiServer.Status(500, "InternalError", "etcdserver: request timed out"));
        }

        lab.Api.SetList("pods", AllSourcesLab.PodList("200", [.. AllSourcesLab.KubePods(), AllSourcesLab.Pod("shop", "web-1", "10.99.41.98", "199")]));
        watch.Send("{\"type\":\"ERROR\",\"object\":" + FakeApiServer.StatusJson(410, "Expired", "too old resource version") + "}");
        var down = await lab.UntilAsync(s => AllSourcesLab.IsDown(s, "kubernetes"), DownBound, "kubernetes up 0 while lists fail with 500");
        lab.AssertOthersServe(down, "kubernetes");

        var back = await lab.UntilAsync(
            s => AllSourcesLab.IsUp(s, "kubernetes") && s.Named("network_endpoint_info").Any(x => x.Label("pod_name") == "web-1"),
            RecoveryBound,
            "kubernetes back with the new list after the 500s");
        lab.AssertOthersServe(back);
        Assert.Equal(3, back.Named("flowexporter_source_errors_total").Single(s => s.Has(("source", "kubernetes"), ("reason", "http_500"))).Value);
    }

    [Fact]
    public async Task Capture_interface_deleted_turns_capture_down_and_when_recreated_capture_resumes_with_cumulative_counters()
    {
        await using var lab = await AllSourcesLab.StartAsync("fflcap");
        await lab.AllServingAsync(RecoveryBound);
        await lab.PingAsync(5);
        var first = await lab.UntilAsync(s => IcmpRequests(s) == 5, DownBound, "the first ping counted");
        var receivedBefore = KernelReceived(first, lab.Client.PortName);

        // The pod's veth disappears (its namespace keeps running): capture goes down, the rest keep serving.
        await OvsLab.ExecAsync(lab.Node, ["ip", "link", "del", lab.Client.PortName]);
        var down = await lab.UntilAsync(s => AllSourcesLab.IsDown(s, "capture"), DownBound, "capture up 0 after its interface was deleted");
        Assert.Contains(down.Named("network_capture_interface_up"), s => s.Label("interface") == lab.Client.PortName && s.Value == 0);
        Assert.Contains(down.Named("flowexporter_source_instance_up"), s => s.Has(("source", "capture"), ("instance", lab.Client.PortName)) && s.Value == 0);
        lab.AssertOthersServe(down, "capture");

        // Counted once (the capture failing or the interface missing, whichever the health update saw first), not per retry.
        var missing = await lab.UntilAsync(
            s => s.Named("flowexporter_source_errors_total").Any(x => x.Has(("source", "capture"))),
            DownBound,
            "the lost interface counted");
        await lab.Exporter.Process.WaitForOutputAsync("no such interface", DownBound);
        Assert.Equal(1, missing.Named("flowexporter_source_errors_total").Where(x => x.Has(("source", "capture"))).Sum(x => x.Value));

        // Capture was ready before: a later failure shows in its up series, not in /readyz.
        Assert.Equal("ready\n", await lab.Exporter.GetAsync("/readyz"));

        // Re-created with the same name and put back on the bridge: capture re-opens it by itself.
        await OvsLab.ExecAsync(lab.Node, ["ip", "link", "add", lab.Client.PortName, "type", "veth", "peer", "name", "eth0", "netns", lab.Client.Namespace]);
        await OvsLab.ExecAsync(lab.Node, ["ip", "link", "set", lab.Client.PortName, "up"]);
        await OvsLab.ExecAsync(lab.Client.Namespace, ["ip", "link", "set", "eth0", "address", lab.Client.Mac]);
        await OvsLab.ExecAsync(lab.Client.Namespace, ["ip", "addr", "add", lab.Client.IpCidr, "dev", "eth0"]);
        await OvsLab.ExecAsync(lab.Client.Namespace, ["ip", "link", "set", "eth0", "up"]);
        await OvsLab.ExecAsync(lab.Node, ["ethtool", "-K", lab.Client.PortName, "tx", "off"]);
        await OvsLab.ExecAsync(lab.Client.Namespace, ["ethtool", "-K", "eth0", "tx", "off"]);
        // Two transactions: in one, ovs-vswitchd would keep the netdev it had opened on the deleted device.
        await lab.Ovs.VsctlAsync(["del-port", OvsLab.BridgeName, lab.Client.PortName]);
        await lab.Ovs.VsctlAsync(["add-port", OvsLab.BridgeName, lab.Client.PortName]);
        var back = await lab.UntilAsync(s => AllSourcesLab.IsUp(s, "capture") && lab.HasSeries(s, "capture"), RecoveryBound, "capture back after the interface was re-created");
        Assert.Equal(1, back.Named("flowexporter_source_instance_up").Single(x => x.Has(("source", "capture"), ("instance", lab.Client.PortName))).Value);

        // Not retried while missing: rtnetlink says when the named link is back. One line when it went, one when it is back.
        await lab.Exporter.Process.WaitForOutputAsync($"capture: {lab.Client.PortName} is back", DownBound);
        var log = lab.Exporter.Process.Output.Split('\n');
        var captureLines = string.Join('\n', log.Where(l => l.Contains("capture", StringComparison.Ordinal)));
        Assert.True(
            log.Count(l => l.Contains($"capture: {lab.Client.PortName}: no such interface", StringComparison.Ordinal)) == 1
                && log.Count(l => l.Contains($"capture: {lab.Client.PortName} is back", StringComparison.Ordinal)) == 1
                && !log.Any(l => l.Contains($"capture: {lab.Client.PortName}:", StringComparison.Ordinal) && l.Contains("retrying", StringComparison.Ordinal)),
            captureLines);
        var firstPing = first.Named("network_connection_packets_total").Single(s => s.Has(("protocol", "icmp"), ("direction", "initiator_to_target")));
        Assert.Contains(back.Named("network_connection_packets_total"), s => s.Labels.SequenceEqual(firstPing.Labels) && s.Value == 5);

        // OVS attaches the new device on its own schedule: ping once until the path works, then count a known ping.
        await lab.UntilPingWorksAsync(RecoveryBound);
        var probed = IcmpRequests(await lab.Exporter.ScrapeUntilQuietAsync(IcmpRequests, TimeSpan.FromSeconds(1), RecoveryBound));
        await lab.PingAsync(3);
        var after = await lab.UntilAsync(s => IcmpRequests(s) >= probed + 3, DownBound, "the second ping counted on top of the first");
        Assert.Equal(probed + 3, IcmpRequests(after));
        // libpcap's received count (read once a second) goes on from where the old handle left it: old frames + 6 new.
        await lab.UntilAsync(s => KernelReceived(s, lab.Client.PortName) >= receivedBefore + 6, DownBound, $"libpcap's received count passing {receivedBefore} + 6 (cumulative across the re-open)");
        // ICMP between the same two addresses is one connection: its series went on counting across the re-open.
        Assert.Equal(probed + 3, after.Named("network_connection_packets_total").Single(s => s.Labels.SequenceEqual(firstPing.Labels)).Value);
        lab.AssertOthersServe(after);
    }

    [Fact]
    public async Task A_second_exporter_on_the_taken_port_exits_2_with_one_line_and_sigterm_stops_the_first_within_5s()
    {
        await using var lab = await AllSourcesLab.StartAsync("fflport");
        await lab.AllServingAsync(RecoveryBound);

        // Same configuration, same port: the start fails before any source is polled, with one line on stderr.
        var second = await OvsLab.ExecAsync(
            lab.Node,
            [LabExporter.Executable, "--config", lab.ConfigFile, "--listen", $"127.0.0.1:{AllSourcesLab.ExporterPort}"],
            TimeSpan.FromSeconds(30),
            check: false);
        Assert.Equal(2, second.ExitCode);
        Assert.Equal($"flowexporter: listen: 127.0.0.1:{AllSourcesLab.ExporterPort}: address already in use", second.StandardError.Trim());
        lab.AssertNoSecretIn(second.StandardOutput + second.StandardError, "a failed start's output");

        lab.AssertOthersServe(await lab.ScrapeAsync());

        // One inotify instance, the endpoints file's watcher, and none on configuration files the exporter does not use
        // (the per-user limit is small and shared by everything on the node).
        var inotify = new DirectoryInfo($"/proc/{lab.Exporter.Process.Id}/fd").GetFileSystemInfos()
            .Count(fd => fd.LinkTarget == "anon_inode:inotify");
        Assert.Equal(1, inotify);

        Assert.True(await lab.Exporter.Process.StopAsync(TimeSpan.FromSeconds(5)), "the exporter exits within 5 s of SIGTERM");
        Assert.Equal(0, lab.Exporter.Process.ExitCode);
        Assert.Contains("capture: stopped, handles closed", lab.Exporter.Process.Output, StringComparison.Ordinal);
    }

    private static double IcmpRequests(IReadOnlyList<Sample> samples) =>
        samples.Named("network_connection_packets_total").Where(s => s.Has(("protocol", "icmp"), ("direction", "initiator_to_target"))).Sum(s => s.Value);

    private static double KernelReceived(IReadOnlyList<Sample> samples, string port) =>
        samples.Named("network_capture_kernel_received_packets_total").Single(s => s.Label("interface") == port).Value;

    private static double LoInOctets(IReadOnlyList<Sample> samples, string switchName) =>
        samples.Named("network_switch_port_receive_bytes_total").Single(s => s.Has(("switch", switchName), ("if_name", "lo"))).Value;

    private static long Ticks(string timeticks) => long.Parse(timeticks, CultureInfo.InvariantCulture);
}
