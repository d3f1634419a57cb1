using System.Diagnostics;
using System.Text.RegularExpressions;
using FlowExporter.LabTests.Capture;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Image;

/// <summary>
/// The image scripts/image builds, run with podman as the DaemonSet runs it (a lab node's network namespace, read-only,
/// only NET_RAW and NET_ADMIN, no new privileges, the ConfigMap's config): it captures a pod port exactly as tcpdump
/// sees it, answers /metrics and /readyz, and stops on SIGTERM. Without NET_RAW it says so in one line.
/// </summary>
[Trait("Category", "Lab")]
[Collection(ImageCollection.Name)]
public sealed partial class ImageRunTests(BuiltImage image)
{
    private const string MissingNetRaw = "the process lacks the CAP_NET_RAW capability";

    /// <summary>
    /// As the DaemonSet runs it (UID 0: the OVS socket is root's, mode 0750) and as the image's own user 65532, which
    /// captures through the image's file capabilities but cannot connect to that socket; with the shipped capture filter
    /// (libpcap) and, without it, with the eBPF engine, which the non-root user loads and attaches through the same file
    /// capabilities (BPF and PERFMON granted as the DaemonSet grants them).
    /// </summary>
    [Theory]
    [InlineData("0:0", 0, "libpcap")]
    [InlineData(null, ImageUser.Uid, "libpcap")]
    [InlineData(null, ImageUser.Uid, "ebpf")]
    public async Task Runs_as_the_DaemonSet_does_and_counts_a_pod_transfer_exactly_as_tcpdump(string? user, int uid, string engine)
    {
        LabPrerequisites.RequireOvsLab("podman", "tcpdump", "tshark", "curl", "iperf3");
        await using var lab = await OvsLab.StartAsync("fimg");
        var client = await lab.AddPodAsync("cli", "10.99.46.1/24");
        var server = await lab.AddPodAsync("srv", "10.99.46.2/24");
        var ebpf = engine == "ebpf";
        var (config, snmp) = await DeployedConfig.WriteAsync(image.Root, lab.Directory, client.PortName, ebpf);
        var pcap = Path.Combine(lab.Directory, "truth.pcap");

        await using var tcpdump = BackgroundProcess.Start(lab.NodeNamespace, "tcpdump", ["-i", client.PortName, "-s", "128", "-B", "65536", "-n", "-U", "-w", pcap]);
        await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        string[] capabilities = ebpf ? ["NET_RAW", "NET_ADMIN", "BPF", "PERFMON"] : ["NET_RAW", "NET_ADMIN"];
        string? seccomp = null;
        if (ebpf)
        {
            // Under podman's own default seccomp profile bpf(2) needs CAP_SYS_ADMIN: the start fails and says so.
            await using (var refused = await PodmanContainer.RunAsync(image.Reference, lab.NodeNamespace, capabilities, config, snmp, lab.Directory, user))
            {
                await WaitForAsync(refused, lab, async () => await refused.InspectAsync("{{.State.Status}}") == "exited", "the start refused");
                Assert.Equal("2", await refused.InspectAsync("{{.State.ExitCode}}"));
                Assert.Contains("the process holds CAP_BPF, but its seccomp profile refuses bpf(2)", await refused.LogsAsync(), StringComparison.Ordinal);
            }

            seccomp = ContainerdLikeSeccompProfile.Write(lab.Directory);
        }

        await using var container = await PodmanContainer.RunAsync(image.Reference, lab.NodeNamespace, capabilities, config, snmp, lab.Directory, user, seccomp);
        if (uid == 0)
        {
            await WaitForAsync(container, lab, async () => await StatusAsync(lab, "/readyz") == "200", "/readyz 200");
        }
        else
        {
            // Not root, the node's OVS socket (root, 0750) is out of reach: /readyz says so and names only OVS, which
            // also means the capture (a gating source too) is up.
            await WaitForAsync(
                container,
                lab,
                async () => await BodyAsync(lab, "/readyz") is var body && body.Contains("ovs:", StringComparison.Ordinal) && !body.Contains("capture", StringComparison.Ordinal),
                "/readyz naming ovs alone");
        }

        // The exporter runs as the given user, with exactly the granted capabilities.
        var pid = await container.InspectAsync("{{.State.Pid}}");
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        Assert.Equal($"Uid:\t{uid}\t{uid}\t{uid}\t{uid}", status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)));
        Assert.Equal(ebpf ? "CapBnd:\t000000c000003000" : "CapBnd:\t0000000000003000", status.Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal)));
        Assert.Equal("CapAmb:\t0000000000000000", status.Single(l => l.StartsWith("CapAmb:", StringComparison.Ordinal)));
        Assert.Equal("NoNewPrivs:\t1", status.Single(l => l.StartsWith("NoNewPrivs:", StringComparison.Ordinal)));

        await using var iperfServer = BackgroundProcess.Start(server.Namespace, "iperf3", ["-s", "-1", "-B", server.Ip, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        await OvsLab.ExecAsync(client.Namespace, ["iperf3", "-c", server.Ip, "-n", "4M"], TimeSpan.FromSeconds(120));

        // Traffic over: the exporter's frame count holds still for a second; then tcpdump stops and is read.
        var samples = await ScrapeUntilQuietAsync(container, lab, ebpf);
        Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        Assert.Equal(
            CountLine().Match(tcpdump.Output).Groups[1].Value,
            ReceivedLine().Match(tcpdump.Output).Groups[1].Value);
        var truth = await WireTruth.TcpDirectionsAsync(pcap);

        Assert.Equal(0, samples.Named("network_capture_dropped_packets_total").Sum(s => s.Value));
        Assert.Equal(engine, samples.Named("flowexporter_capture_engine_info").Single(s => s.Value == 1).Label("engine"));
        var point = Assert.Single(samples.Named("network_capture_point_info"));
        Assert.Equal((client.PortName, engine, "uplink", 1.0), (point.Label("interface"), point.Label("engine"), point.Label("role"), point.Value));
        Assert.Contains(samples.Named("flowexporter_source_up"), s => s.Label("source") == "capture" && s.Value == 1);
        var ovsUp = samples.Named("flowexporter_source_up").Single(s => s.Label("source") == "ovs").Value;
        if (uid == 0)
        {
            Assert.True(ovsUp == 1, "the OVS source is up as root:\n" + await container.LogsAsync());
        }
        else
        {
            Assert.Equal(0, ovsUp);
            Assert.Contains("cannot connect: AccessDenied", await container.LogsAsync(), StringComparison.Ordinal);
        }
        var connections = samples.Named("network_connection_bytes_total").Where(s => s.Label("target_port") == "5201").ToList();
        Assert.Equal(4, connections.Count); // iperf3's control and data connections, both directions
        foreach (var sample in connections)
        {
            Assert.Equal("lab-node", sample.Label("node"));
            Assert.Equal(client.PortName, sample.Label("interface"));
            var initiator = $"{client.Ip}:{sample.Label("initiator_port")}";
            var target = $"{server.Ip}:5201";
            var expected = sample.Label("direction") == "initiator_to_target" ? truth[(initiator, target)] : truth[(target, initiator)];
            var packets = samples.Named("network_connection_packets_total").Single(p => p.Labels.SequenceEqual(sample.Labels));
            Assert.Equal(expected, ((long)sample.Value, (long)packets.Value));
        }

        Assert.Equal((true, "0"), await container.StopAsync());
        Assert.Contains("capture: stopped, handles closed", await container.LogsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_NET_RAW_it_names_the_missing_capability_in_one_line_and_keeps_serving()
    {
        LabPrerequisites.RequireOvsLab("podman", "curl");
        await using var lab = await OvsLab.StartAsync("fimgnr");
        var client = await lab.AddPodAsync("cli", "10.99.47.1/24");
        var (config, snmp) = await DeployedConfig.WriteAsync(image.Root, lab.Directory, client.PortName);
        await using var container = await PodmanContainer.RunAsync(image.Reference, lab.NodeNamespace, ["NET_ADMIN"], config, snmp, lab.Directory);

        await WaitForAsync(container, lab, async () => (await container.LogsAsync()).Contains(MissingNetRaw, StringComparison.Ordinal), "the missing capability reported");
        Assert.Equal("503", await StatusAsync(lab, "/readyz"));
        var samples = Exposition.Parse(await GetAsync(lab, "/metrics"));
        Assert.Contains(samples.Named("network_capture_interface_up"), s => s.Label("interface") == client.PortName && s.Value == 0);

        // The capture thread retries with backoff (0.25, 0.5, 1, 2 s...): after 4 s it has failed at least 4 times,
        // and still said it once.
        var started = DateTimeOffset.Parse(await container.InspectAsync("{{.State.StartedAt.Format \"2006-01-02T15:04:05.000Z07:00\"}}"), System.Globalization.CultureInfo.InvariantCulture);
        await WaitForAsync(container, lab, () => Task.FromResult(DateTimeOffset.UtcNow - started > TimeSpan.FromSeconds(4)), "4 s of retries");
        var logs = await container.LogsAsync();
        var line = Assert.Single(logs.Split('\n'), l => l.Contains("CAP_NET_RAW", StringComparison.Ordinal) || l.Contains("PermissionDenied", StringComparison.Ordinal));
        Assert.Contains($"capture: {client.PortName}: cannot capture: {MissingNetRaw} (grant NET_RAW", line, StringComparison.Ordinal);
        Assert.Equal("running", await container.InspectAsync("{{.State.Status}}"));
        Assert.Equal((true, "0"), await container.StopAsync());
    }

    private static async Task<string> StatusAsync(OvsLab lab, string path) =>
        (await OvsLab.ExecAsync(lab.NodeNamespace, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", $"http://127.0.0.1:9004{path}"], TimeSpan.FromSeconds(10), check: false)).StandardOutput.Trim();

    private static async Task<string> BodyAsync(OvsLab lab, string path) =>
        (await OvsLab.ExecAsync(lab.NodeNamespace, ["curl", "-s", "--max-time", "5", $"http://127.0.0.1:9004{path}"], TimeSpan.FromSeconds(10), check: false)).StandardOutput;

    private static async Task<string> GetAsync(OvsLab lab, string path) =>
        (await OvsLab.ExecAsync(lab.NodeNamespace, ["curl", "-sS", "-f", "--max-time", "10", $"http://127.0.0.1:9004{path}"], TimeSpan.FromSeconds(15))).StandardOutput;

    private static async Task WaitForAsync(PodmanContainer container, OvsLab lab, Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await condition())
            {
                return;
            }

            if (await container.InspectAsync("{{.State.Status}}") != "running")
            {
                break;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{what} did not happen within 60 s (or the container ended: {await container.InspectAsync("{{.State.Status}} {{.State.ExitCode}}")}); /readyz {await StatusAsync(lab, "/readyz")}; container output:\n{await container.LogsAsync()}");
    }

    /// <summary>
    /// Scrapes until the capture's packet count holds still for a second. The eBPF engine passes no frame to user space
    /// and moves the connections' counts once a sweep (every second): for it, those counts must hold still over three
    /// sweeps, or a scrape between two sweeps would look quiet.
    /// </summary>
    private static async Task<IReadOnlyList<Sample>> ScrapeUntilQuietAsync(PodmanContainer container, OvsLab lab, bool ebpf)
    {
        var (family, quiet) = ebpf ? ("network_connection_packets_total", TimeSpan.FromSeconds(3)) : ("network_capture_packets_total", TimeSpan.FromSeconds(1));
        var deadline = Stopwatch.StartNew();
        var unchanged = Stopwatch.StartNew();
        double? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var samples = Exposition.Parse(await GetAsync(lab, "/metrics"));
            var current = samples.Named(family).Sum(x => x.Value);
            if (current != last)
            {
                last = current;
                unchanged.Restart();
            }
            else if (unchanged.Elapsed >= quiet && current > 0)
            {
                return samples;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the capture's packet count did not settle within 30 s:\n" + await container.LogsAsync());
    }

    [GeneratedRegex("^(\\d+) packets captured", RegexOptions.Multiline)]
    private static partial Regex CountLine();

    [GeneratedRegex("^(\\d+) packets received by filter", RegexOptions.Multiline)]
    private static partial Regex ReceivedLine();
}
