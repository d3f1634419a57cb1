using System.Diagnostics;
using System.Text;
using FlowExporter.Hosting;
using FlowExporter.TestSupport;

namespace FlowExporter.Tests.Capture;

public sealed class ReplayCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exit = await ExporterProgram.RunAsync(args, output, error, new Dictionary<string, string>());
        return (exit, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }

    /// <summary>The default output: connection series at the configured level, lifecycle and capture counters; no quality.</summary>
    [Fact]
    public async Task Replay_prints_the_exposition_equal_to_the_golden_file()
    {
        var (exit, output, error) = await RunAsync("replay", Fixture("pcap/http-tcp-ethernet.pcap"), "--node", "golden-node");
        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, error);
        var ours = string.Join('\n', output.Split('\n').Where(l => l.Contains("network_", StringComparison.Ordinal)));
        var golden = (await File.ReadAllTextAsync(Fixture("golden/http-tcp-ethernet.prom"))).TrimEnd('\n');
        Assert.Equal(golden, ours);
        Assert.DoesNotContain("quality", output, StringComparison.Ordinal);
        Assert.DoesNotContain("network_connection_handshake", output, StringComparison.Ordinal);
    }

    /// <summary>With --quality, everything the served exporter's capture writes, quality series included.</summary>
    [Fact]
    public async Task Replay_with_quality_prints_the_full_exposition_equal_to_its_golden_file()
    {
        var (exit, output, error) = await RunAsync("replay", Fixture("pcap/http-tcp-ethernet.pcap"), "--node", "golden-node", "--quality");
        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, error);
        var ours = string.Join('\n', output.Split('\n').Where(l => l.Contains("network_", StringComparison.Ordinal)));
        var golden = (await File.ReadAllTextAsync(Fixture("golden/http-tcp-ethernet-quality.prom"))).TrimEnd('\n');
        Assert.Equal(golden, ours);
        var samples = Exposition.Parse(output);
        Assert.Equal(0.001011, Assert.Single(samples.Named("network_connection_handshake_rtt_seconds")).Value, 9);
        Assert.Equal(1, samples.Named("network_connection_quality_series").Single().Value);
    }

    [Fact]
    public async Task The_quality_flag_belongs_to_replay_only()
    {
        var (exit, _, error) = await RunAsync("--quality");
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: unknown flag --quality (see --help)\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Replay_in_openmetrics_ends_with_one_eof_and_names_counter_families_without_total()
    {
        var (exit, output, _) = await RunAsync("replay", Fixture("pcap/vxlan-http.pcap"), "--format", "openmetrics");
        Assert.Equal(0, exit);
        Assert.EndsWith("# EOF\n", output, StringComparison.Ordinal);
        Assert.Equal(1, output.Split('\n').Count(l => l == "# EOF"));
        Assert.Contains("# TYPE network_connection_bytes counter\n", output, StringComparison.Ordinal);
        var inner = Exposition.Parse(output).Named("network_connection_bytes_total").ToList();
        Assert.All(inner, s => Assert.Equal("172.16.11.201", s.Label("initiator_ip")));
    }

    [Fact]
    public async Task Pcapng_interfaces_keep_their_recorded_names_as_the_interface_label()
    {
        var (exit, output, _) = await RunAsync("replay", Fixture("pcap/pcapng-multi-interface-dns.pcapng"));
        Assert.Equal(0, exit);
        var interfaces = Exposition.Parse(output).Named("network_capture_packets_total").Select(s => s.Label("interface")).ToList();
        Assert.True(interfaces.Count >= 1);
        Assert.Equal(interfaces.Count, interfaces.Distinct().Count());
    }

    [Fact]
    public async Task Replay_labels_pods_from_the_static_endpoints_file()
    {
        var directory = Directory.CreateTempSubdirectory("fe-replay-").FullName;
        try
        {
            var endpoints = Path.Combine(directory, "endpoints.yaml");
            await File.WriteAllTextAsync(endpoints, "- { ip: 10.1.1.2, name: client-0, namespace: shop, node: here, workload: client }\n- { cidr: 10.1.1.0/30, name: gateway, namespace: infra, node: there, workload: gw }\n");
            var config = Path.Combine(directory, "config.yaml");
            await File.WriteAllTextAsync(config, $"endpoints_file: {endpoints}\n");
            var (exit, output, _) = await RunAsync("replay", Fixture("pcap/http-tcp-ethernet.pcap"), "--config", config, "--node", "here");
            Assert.Equal(0, exit);
            var sample = Exposition.Parse(output).Named("network_connection_bytes_total").First();
            Assert.Equal("initiator", sample.Label("observed_at"));
            Assert.Equal("client-0", sample.Label("initiator_pod"));
            Assert.Equal("shop", sample.Label("initiator_namespace"));
            Assert.Equal("gateway", sample.Label("target_pod"));
            Assert.Equal("gw", sample.Label("target_workload"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// redis-benchmark's 15 loopback connections, all from and to 127.0.0.1 (named as one pod by the endpoints file),
    /// are one pod_pair series. Its values are tshark's: 90 frames (7,067 bytes) to port 6379 and 60 frames (17,367
    /// bytes) back (<c>tshark -T fields -e frame.len -e tcp.srcport -e tcp.dstport</c>, summed per direction).
    /// </summary>
    [Fact]
    public async Task Replay_at_pod_pair_merges_the_connections_of_two_pods_into_the_golden_series()
    {
        var directory = Directory.CreateTempSubdirectory("fe-replay-").FullName;
        try
        {
            var endpoints = Path.Combine(directory, "endpoints.yaml");
            await File.WriteAllTextAsync(endpoints, "- { ip: 127.0.0.1, name: redis-0, namespace: cache, node: golden-node, workload: redis }\n");
            var config = Path.Combine(directory, "config.yaml");
            await File.WriteAllTextAsync(config, $"endpoints_file: {endpoints}\n");
            var pcap = Fixture("pcap/sll-tcp-redis-loopback.pcap");

            var (exit, output, error) = await RunAsync("replay", pcap, "--config", config, "--node", "golden-node", "--aggregation", "pod_pair", "--quality");
            Assert.Equal(0, exit);
            Assert.Equal(string.Empty, error);
            var ours = string.Join('\n', output.Split('\n').Where(l => l.Contains("network_", StringComparison.Ordinal)));
            var golden = (await File.ReadAllTextAsync(Fixture("golden/sll-tcp-redis-loopback-pod-pair.prom"))).TrimEnd('\n');
            Assert.Equal(golden, ours);
            var samples = Exposition.Parse(output);
            var forward = Assert.Single(samples.Named("network_connection_bytes_total"), s => s.Label("direction") == "initiator_to_target");
            Assert.Equal(7067, forward.Value);
            Assert.Equal(17367, samples.Named("network_connection_bytes_total").Single(s => s.Label("direction") == "target_to_initiator").Value);
            Assert.Equal(90, samples.Named("network_connection_packets_total").Single(s => s.Label("direction") == "initiator_to_target").Value);
            Assert.Equal(60, samples.Named("network_connection_packets_total").Single(s => s.Label("direction") == "target_to_initiator").Value);
            Assert.Equal(14, samples.Named("network_connection_series_merged_total").Single().Value);

            (exit, output, _) = await RunAsync("replay", pcap, "--config", config, "--node", "golden-node", "--aggregation", "workload_pair");
            Assert.Equal(0, exit);
            var workload = Assert.Single(Exposition.Parse(output).Named("network_connection_bytes_total"), s => s.Label("direction") == "initiator_to_target");
            Assert.Equal(7067, workload.Value);
            Assert.Equal("redis", workload.Label("initiator_workload"));
            Assert.Equal("redis", workload.Label("target_workload"));
            Assert.False(workload.Labels.ContainsKey("initiator_pod"));
            Assert.False(workload.Labels.ContainsKey("initiator_ip"));

            (exit, _, error) = await RunAsync("replay", pcap, "--aggregation", "pods");
            Assert.Equal(2, exit);
            Assert.Equal("flowexporter: config: connections.aggregation: 'pods' is not one of connection, endpoint, pod_pair, workload_pair\n", error.ReplaceLineEndings("\n"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_capture_filter_applies_to_files()
    {
        var (exit, output, _) = await RunAsync("replay", Fixture("pcap/vxlan-http.pcap"), "--bpf", "udp port 53");
        Assert.Equal(0, exit);
        Assert.Empty(Exposition.Parse(output).Named("network_connection_bytes_total"));
        var (badExit, _, badError) = await RunAsync("replay", Fixture("pcap/vxlan-http.pcap"), "--bpf", "not a filter ((");
        Assert.Equal(2, badExit);
        Assert.StartsWith("flowexporter: config: capture.bpf: 'not a filter ((' does not compile", badError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_and_non_capture_files_exit_2_with_one_line()
    {
        var (exit, output, error) = await RunAsync("replay", "/nonexistent/file.pcap");
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal("flowexporter: replay: /nonexistent/file.pcap: no such file\n", error.ReplaceLineEndings("\n"));

        var notCapture = Fixture("golden/http-tcp-ethernet.prom");
        (exit, _, error) = await RunAsync("replay", notCapture);
        Assert.Equal(2, exit);
        Assert.StartsWith($"flowexporter: replay: {notCapture}: not a capture file: unknown magic number", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Bad_flags_and_values_exit_2_with_one_line()
    {
        var (exit, _, error) = await RunAsync("--bogus");
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: unknown flag --bogus (see --help)\n", error.ReplaceLineEndings("\n"));
        (exit, _, error) = await RunAsync("replay", Fixture("pcap/vxlan-http.pcap"), "--connection-timeout", "-3");
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: config: connections.timeout: '-3' is not a duration (examples: 500ms, 30s, 5m, 1h)\n", error.ReplaceLineEndings("\n"));
    }

    /// <summary>One capture per link type and container format (Ethernet, Linux SLL, pcapng with several interfaces, VXLAN).</summary>
    [Fact]
    public async Task Captures_of_each_link_type_and_format_replay_to_an_exposition_promtool_accepts()
    {
        foreach (var file in new[] { "http-tcp-ethernet.pcap", "pcapng-multi-interface-dns.pcapng", "sll-tcp-redis-loopback.pcap", "vxlan-http.pcap" }.Select(name => Fixture("pcap/" + name)))
        {
            foreach (var flags in new[] { Array.Empty<string>(), ["--quality"] })
            {
                var (exit, output, _) = await RunAsync(["replay", file, .. flags]);
                Assert.Equal(0, exit);
                var (promtoolExit, findings) = await PromtoolCheckAsync(output);
                Assert.True(promtoolExit == 0 && findings.Length == 0, $"{Path.GetFileName(file)} {string.Join(' ', flags)}: promtool: {findings}");
            }
        }
    }

    internal static async Task<(int Exit, string Findings)> PromtoolCheckAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("promtool is not installed (Debian package prometheus): the exposition check needs it", ex);
        }

        using (process)
        {
            await process.StandardInput.WriteAsync(exposition);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await stdout + await stderr).Trim());
        }
    }
}
