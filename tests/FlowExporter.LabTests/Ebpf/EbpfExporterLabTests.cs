using System.Globalization;
using FlowExporter.Capture.Ebpf;
using FlowExporter.Correlator.Connections;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;

namespace FlowExporter.LabTests.Ebpf;

/// <summary>
/// The exporter with <c>capture.engine: ebpf</c> on one end of a veth pair, beside an exporter with the libpcap engine
/// and tcpdump on the same interface: its connection series equal tshark's totals exactly and carry the libpcap
/// exporter's labels; without CAP_BPF auto falls back and ebpf exits 2; a kill -9 leaves no second filter.
/// </summary>
[Trait("Category", "Lab")]
public sealed class EbpfExporterLabTests
{
    private static readonly string Ours = VethPairLab.Pref(TcAttachment.Priority);

    private static readonly string[] Directions = ["initiator_to_target", "target_to_initiator"];

    [Fact]
    public async Task The_ebpf_exporters_connection_series_equal_tcpdump_and_the_libpcap_exporters_with_the_same_labels()
    {
        LabPrerequisites.Require("ip", "ethtool", "iperf3", "tcpdump", "tshark", "ping", "curl");
        await using var lab = await VethPairLab.StartAsync();
        var pcap = Path.Combine(lab.Directory, "truth.pcap");
        await using var tcpdump = await EbpfCountingLabTests.StartTcpdumpAsync(lab, pcap);
        await using var ebpf = await LabExporter.StartAsync(lab.NamespaceA, ["--interface", lab.InterfaceA, "--engine", "ebpf", "--node", "lab"], port: 9611);
        await using var libpcap = await LabExporter.StartAsync(lab.NamespaceA, ["--interface", lab.InterfaceA, "--engine", "libpcap", "--node", "lab"], port: 9612);
        Assert.Contains(await ebpf.ScrapeAsync(), s => s.Name == "flowexporter_capture_engine_info" && s.Label("engine") == "ebpf" && s.Value == 1);
        Assert.Contains(await libpcap.ScrapeAsync(), s => s.Name == "flowexporter_capture_engine_info" && s.Label("engine") == "libpcap" && s.Value == 1);

        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.AddressB, 5201, ["-n", "20M"]);
        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.AddressB, 5202, ["-u", "-b", "40M", "-n", "4M"]);
        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.Address6B, 5203, ["-n", "10M"]);
        await VethPairLab.ExecAsync(lab.NamespaceA, ["ping", "-c", "5", "-i", "0.2", VethPairLab.AddressB], TimeSpan.FromSeconds(20));
        await EbpfCountingLabTests.StopTcpdumpAsync(tcpdump, pcap);

        var truth = await WireConnections.ReadAsync(pcap);
        var compared = truth.Where(t => t.Key.PortB is 5201 or 5202 or 5203 || t.Key.Protocol == 1).ToList();
        Assert.Equal(7, compared.Count); // two connections per iperf3 test (control and data) and the ping
        var expected = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, wire) in compared)
        {
            // The client's address is the lower one in both families: endpoint A is the initiator throughout.
            expected[Series("network_connection_bytes_total", lab.InterfaceA, key, "initiator_to_target")] = wire.BytesFromA;
            expected[Series("network_connection_bytes_total", lab.InterfaceA, key, "target_to_initiator")] = wire.BytesFromB;
            expected[Series("network_connection_packets_total", lab.InterfaceA, key, "initiator_to_target")] = wire.FramesFromA;
            expected[Series("network_connection_packets_total", lab.InterfaceA, key, "target_to_initiator")] = wire.FramesFromB;
        }

        var ebpfSeries = Connections(await ebpf.ScrapeUntilAsync(s => Matches(Connections(s), expected), TimeSpan.FromSeconds(30), "the eBPF exporter's series equal tcpdump's totals"));
        var libpcapSeries = Connections(await libpcap.ScrapeUntilAsync(s => Matches(Connections(s), expected), TimeSpan.FromSeconds(30), "the libpcap exporter's series equal tcpdump's totals"));
        foreach (var (series, value) in expected)
        {
            Assert.Equal((series, value), (series, ebpfSeries.GetValueOrDefault(series, -1)));
        }

        // Same labels (interface, initiator, target, evidence): each exporter has exactly the expected series for these
        // connections, none under another evidence or interface.
        var tuples = expected.Keys.Select(Tuple).ToHashSet(StringComparer.Ordinal);
        var wanted = expected.Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(wanted, ebpfSeries.Keys.Where(k => tuples.Contains(Tuple(k))).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(wanted, libpcapSeries.Keys.Where(k => tuples.Contains(Tuple(k))).Order(StringComparer.Ordinal).ToList());

        var page = await ebpf.ScrapeAsync();
        Assert.Contains(page, s => s.Name == "flowexporter_capture_dropped_total" && s.Label("reason") == "map_full" && s.Value == 0);
        Assert.Contains(page, s => s.Name == "flowexporter_source_instance_up" && s.Label("source") == "capture" && s.Label("instance") == lab.InterfaceA && s.Value == 1);
    }

    [Fact]
    public async Task Without_cap_bpf_auto_falls_back_to_libpcap_saying_why_and_ebpf_exits_2()
    {
        LabPrerequisites.Require("ip", "ethtool", "capsh", "ping", "curl");
        await using var lab = await VethPairLab.StartAsync();
        string[] withoutBpf = ["capsh", "--drop=cap_bpf,cap_sys_admin", "--", "-c", "exec \"$0\" \"$@\""];
        await using (var auto = await LabExporter.StartAsync(lab.NamespaceA, ["--interface", lab.InterfaceA, "--engine", "auto", "--node", "lab"], port: 9613, launcher: withoutBpf))
        {
            Assert.Contains("capture.engine auto: the eBPF engine cannot be used here (missing_capability: ", auto.Process.Output, StringComparison.Ordinal);
            Assert.Single(auto.Process.Output.Split('\n'), line => line.Contains("capture.engine auto", StringComparison.Ordinal));
            Assert.Contains(await auto.ScrapeAsync(), s => s.Name == "flowexporter_capture_engine_info" && s.Label("engine") == "libpcap" && s.Value == 1);
            await VethPairLab.ExecAsync(lab.NamespaceA, ["ping", "-c", "3", "-i", "0.2", VethPairLab.AddressB], TimeSpan.FromSeconds(20));
            await auto.ScrapeUntilAsync(
                s => s.Named("network_connection_packets_total").Any(x => x.Has(("protocol", "icmp"), ("direction", "target_to_initiator")) && x.Value == 3),
                TimeSpan.FromSeconds(15),
                "libpcap counted the ping");
            Assert.Empty(await lab.FiltersAsync("ingress"));
        }

        var ebpf = BackgroundProcess.Start(
            lab.NamespaceA, withoutBpf[0], [.. withoutBpf[1..], LabExporter.Executable, "--listen", "127.0.0.1:9614", "--interface", lab.InterfaceA, "--engine", "ebpf"]);
        await using (ebpf)
        {
            Assert.True(await ebpf.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the exporter stopped at start");
            Assert.Equal(2, ebpf.ExitCode);
            Assert.Contains("flowexporter: config: capture.engine: ebpf cannot be used here (missing_capability): ", ebpf.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Sigterm_removes_our_filters_and_qdisc_and_after_kill_9_a_restart_leaves_one_filter_of_ours_per_direction()
    {
        LabPrerequisites.Require("ip", "ethtool", "tc", "ping", "curl");
        await using var lab = await VethPairLab.StartAsync();
        string[] arguments = ["--interface", lab.InterfaceA, "--engine", "ebpf", "--node", "lab"];

        await using (var first = await LabExporter.StartAsync(lab.NamespaceA, arguments, port: 9615))
        {
            await AssertOneFilterOfOursPerHookAsync(lab);
            Assert.True(await first.Process.StopAsync(TimeSpan.FromSeconds(10)), "SIGTERM stopped the exporter");
            Assert.Equal(0, first.Process.ExitCode);
        }

        Assert.Empty(await lab.FiltersAsync("ingress"));
        Assert.Empty(await lab.FiltersAsync("egress"));
        var qdiscs = await VethPairLab.ExecAsync(lab.NamespaceA, ["tc", "qdisc", "show", "dev", lab.InterfaceA], TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("clsact", qdiscs.StandardOutput, StringComparison.Ordinal);

        await using (var killed = await LabExporter.StartAsync(lab.NamespaceA, arguments, port: 9615))
        {
            await AssertOneFilterOfOursPerHookAsync(lab);
            await ProcessRunnerSignals.SendAsync(killed.Process.Id, "KILL");
            Assert.True(await killed.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)), "kill -9 ended the exporter");
        }

        await AssertOneFilterOfOursPerHookAsync(lab); // a TC filter outlives its process
        await using (var restarted = await LabExporter.StartAsync(lab.NamespaceA, arguments, port: 9615))
        {
            await AssertOneFilterOfOursPerHookAsync(lab);
            await VethPairLab.ExecAsync(lab.NamespaceA, ["ping", "-c", "3", "-i", "0.2", VethPairLab.AddressB], TimeSpan.FromSeconds(20));
            await restarted.ScrapeUntilAsync(
                s => s.Named("network_connection_packets_total").Any(x => x.Has(("protocol", "icmp"), ("direction", "target_to_initiator")) && x.Value == 3)
                    && s.Named("network_connection_packets_total").Any(x => x.Has(("protocol", "icmp"), ("direction", "initiator_to_target")) && x.Value == 3),
                TimeSpan.FromSeconds(15),
                "the restarted exporter counted the ping");
            Assert.True(await restarted.Process.StopAsync(TimeSpan.FromSeconds(10)), "SIGTERM stopped the exporter");
        }

        Assert.Empty(await lab.FiltersAsync("ingress"));
        Assert.Empty(await lab.FiltersAsync("egress"));
    }

    private static async Task AssertOneFilterOfOursPerHookAsync(VethPairLab lab)
    {
        foreach (var hook in new[] { "ingress", "egress" })
        {
            var filters = await lab.FiltersAsync(hook);
            Assert.Single(filters);
            Assert.Contains(Ours, filters[0], StringComparison.Ordinal);
        }
    }

    /// <summary>A connection series' identity: its name and labels; the initiator is endpoint A.</summary>
    private static string Series(string name, string captureInterface, ConnectionKey key, string direction) =>
        string.Join(
            ',',
            name,
            key.Protocol switch { 6 => "syn", 17 => "port", _ => "first_packet" },
            captureInterface,
            key.Protocol switch { 6 => "tcp", 17 => "udp", _ => "icmp" },
            key.AddressA.ToString(),
            Port(key, key.PortA),
            key.AddressB.ToString(),
            Port(key, key.PortB),
            direction);

    /// <summary>A series' identity without its evidence and interface: name, protocol, ends and direction.</summary>
    private static string Tuple(string series)
    {
        var fields = series.Split(',');
        return string.Join(',', [fields[0], .. fields[3..]]);
    }

    /// <summary>A port label as the series carry it: none for a protocol without ports (ICMP).</summary>
    private static string Port(ConnectionKey key, ushort port) => key.Protocol is 6 or 17 ? port.ToString(CultureInfo.InvariantCulture) : string.Empty;

    /// <summary>The connection series by name, protocol, initiator, target and direction.</summary>
    private static Dictionary<string, double> Connections(IReadOnlyList<Sample> samples)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var s in samples.Where(s => s.Name is "network_connection_bytes_total" or "network_connection_packets_total"))
        {
            Assert.Contains(s.Label("direction"), Directions);
            result[string.Join(',', s.Name, s.Label("initiator_evidence"), s.Label("interface"), s.Label("protocol"), s.Label("initiator_ip"), s.Label("initiator_port"), s.Label("target_ip"), s.Label("target_port"), s.Label("direction"))] = s.Value;
        }

        return result;
    }

    private static bool Matches(Dictionary<string, double> series, Dictionary<string, double> expected) =>
        expected.All(e => series.TryGetValue(e.Key, out var value) && value == e.Value);
}
