using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Snmp;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Faults;

/// <summary>
/// What outsiders control cannot break the exposition, and what the exporter is trusted with never leaves it: both
/// checked on the real exporter with every source on (<see cref="AllSourcesLab"/>).
/// </summary>
[Trait("Category", "Lab")]
public sealed class AllSourcesSecurityTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Hostile_label_values_from_every_source_are_escaped_pass_promtool_and_parse_back_exactly()
    {
        await using var lab = await AllSourcesLab.StartAsync("flhost");
        await lab.PingAsync(3);
        await lab.UntilAsync(
            s => AllSourcesLab.HealthySources.All(x => AllSourcesLab.IsUp(s, x))
                && s.Named("network_connection_packets_total").Any(x => x.Label("protocol") == "icmp")
                && s.Named("network_endpoint_info").Any(x => x.Label("ip") == AllSourcesLab.KubePodIp),
            Bound,
            "every source up, the ping counted and the pods known");

        foreach (var (accept, name) in new[] { ((string?)null, "prometheus"), ("application/openmetrics-text; version=1.0.0", "openmetrics") })
        {
            var text = await lab.Exporter.GetAsync("/metrics", accept);
            if (name == "prometheus")
            {
                await AssertPromtoolAcceptsAsync(lab, text);
            }

            var samples = Exposition.Parse(text);

            // Kubernetes: the pod name and namespace, on the endpoint info series and through the capture's join.
            Assert.Contains(samples.Named("network_endpoint_info"), s => s.Has(("ip", AllSourcesLab.KubePodIp), ("pod_name", HostileValues.PodNameExpected), ("pod_namespace", HostileValues.PodNamespaceExpected)));
            Assert.Contains(samples.Named("network_connection_packets_total"), s => s.Has(("protocol", "icmp"), ("target_pod", HostileValues.PodNameExpected), ("target_namespace", HostileValues.PodNamespaceExpected)));

            // Endpoints file: the entry's name (with bytes that are not UTF-8), also through the join.
            Assert.Contains(samples.Named("network_endpoint_info"), s => s.Has(("ip", AllSourcesLab.FilePodIp), ("pod_name", HostileValues.EndpointNameExpected)));
            Assert.Contains(samples.Named("network_connection_packets_total"), s => s.Has(("protocol", "icmp"), ("initiator_pod", HostileValues.EndpointNameExpected)));

            // SNMP: ifName (the kernel's interface name) and ifAlias (raw octets set on the agent), for v2c and v3.
            foreach (var switchName in new[] { AllSourcesLab.GoodSwitch, AllSourcesLab.V3Switch })
            {
                Assert.Contains(samples.Named("network_switch_port_receive_bytes_total"), s => s.Has(("switch", switchName), ("if_name", lab.HostilePort), ("if_alias", HostileValues.IfAliasExpected)));
            }

            // OVS: the interface name and an external_ids iface-id.
            Assert.Contains(samples.Named("ovs_interface_rx_bytes_total"), s => s.Label("interface") == lab.HostilePort);
            Assert.Contains(samples.Named("ovs_interface_info"), s => s.Has(("interface", lab.Client.PortName), ("iface_id", HostileValues.IfaceId)));
        }
    }

    [Fact]
    public async Task Snmp_secrets_and_the_api_token_never_appear_in_metrics_health_or_trace_logs_while_snmp_fails()
    {
        await using var lab = await AllSourcesLab.StartAsync("flsec", failingSnmpTargets: true);
        var failing = await lab.UntilAsync(
            s => AllSourcesLab.HealthySources.All(x => AllSourcesLab.IsUp(s, x))
                && Reason(s, "wrongcomm") == "timeout" && Reason(s, "wrongauth") == "wrong_digest" && Reason(s, "junk") == "malformed_response",
            Bound,
            "the good switches up and each failing one down for its reason");
        var seen = new List<(string Where, string Text)>();
        foreach (var path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            seen.Add((path, await lab.Exporter.GetAsync(path)));
        }

        seen.Add(("/metrics (OpenMetrics)", await lab.Exporter.GetAsync("/metrics", "application/openmetrics-text; version=1.0.0")));

        // The good agent blackholed too: timeouts on the v2c and the v3 session.
        await lab.Snmpd.PauseAsync();
        await lab.UntilAsync(s => AllSourcesLab.IsDown(s, $"snmp:{AllSourcesLab.GoodSwitch}") && AllSourcesLab.IsDown(s, $"snmp:{AllSourcesLab.V3Switch}"), Bound, "the good switches down while blackholed");
        seen.Add(("/metrics while blackholed", await lab.Exporter.GetAsync("/metrics")));
        await lab.Snmpd.ResumeAsync();
        await lab.UntilAsync(s => AllSourcesLab.IsUp(s, $"snmp:{AllSourcesLab.GoodSwitch}"), Bound, "the good switch back");

        Assert.True(await lab.Exporter.Process.StopAsync(TimeSpan.FromSeconds(5)));
        var output = lab.Exporter.Process.Output;
        seen.Add(("the exporter's log (stdout and stderr, Trace level)", output));

        // The log really was at Trace/Debug level and really carried each failure, so its silence about secrets counts.
        Assert.Contains("dbug: ", output, StringComparison.Ordinal);
        foreach (var reason in new[] { "poll failed (timeout)", "poll failed (wrong_digest)", "poll failed (malformed_response)" })
        {
            Assert.Contains(reason, output, StringComparison.Ordinal);
        }

        Assert.NotEmpty(failing);
        foreach (var (where, text) in seen)
        {
            lab.AssertNoSecretIn(text, where);
        }

        // The one place the configuration is echoed back is a bad value's error line: a bad key beside a secret file.
        var badConfig = Path.Combine(lab.Ovs.Directory, "bad.yaml");
        await File.WriteAllTextAsync(badConfig, (await File.ReadAllTextAsync(lab.ConfigFile)).Replace("interval: 2s", "interval: soon", StringComparison.Ordinal));
        var bad = await OvsLab.ExecAsync(lab.Node, [Support.LabExporter.Executable, "--config", badConfig, "--listen", "127.0.0.1:9"], TimeSpan.FromSeconds(30), check: false);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("flowexporter: config: snmp.targets.0.interval", bad.StandardError, StringComparison.Ordinal);
        lab.AssertNoSecretIn(bad.StandardOutput + bad.StandardError, "a configuration error");
    }

    private static string? Reason(IReadOnlyList<Sample> samples, string switchName) =>
        samples.Named("network_switch_last_poll_error_info").FirstOrDefault(s => s.Label("switch") == switchName)?.Label("reason");

    private static async Task AssertPromtoolAcceptsAsync(AllSourcesLab lab, string text)
    {
        var file = Path.Combine(lab.Ovs.Directory, "metrics.txt");
        await File.WriteAllTextAsync(file, text);
        var promtool = BoundedProcess.Require("promtool");
        var (exit, stdout, stderr) = await BoundedProcess.RunAsync("sh", ["-c", $"{promtool} check metrics < {file}"], TimeSpan.FromSeconds(30));

        // Lint about names chosen in SPEC.md is allowed; a parse error or any other finding fails.
        var problems = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line != "network_switch_port_speed_bits_per_second use base unit \"bytes\" instead of \"bits\"")
            .ToArray();
        Assert.True(problems.Length == 0, $"promtool check metrics (exit {exit}): {string.Join('\n', problems)}");
    }
}
