using System.Globalization;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;
using Xunit.Abstractions;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// Flow records of replayed captures received by real collectors from Debian (nfdump's nfcapd, pmacct's nfacctd) and
/// decoded by Wireshark's dissector: per connection, their packets equal the exporter's own series and their IP octets
/// equal tshark's count of the same file.
/// </summary>
[Trait("Category", "Lab")]
[Collection("ipfix-collectors")]
public sealed class IpfixCollectorLabTests
{
    private static readonly string PcapDirectory = Path.Combine(AppContext.BaseDirectory, "fixtures", "ipfix-pcap");

    /// <summary>
    /// Captures whose IP octets the simple tshark oracle cannot give per address pair: ICMP errors (tshark's innermost
    /// IP header is the quoted one) and fragments the exporter counts as orphans. Their packets are still compared.
    /// </summary>
    private static readonly HashSet<string> NoOctetsOracle =
    [
        "gre-ipv4-in-ipv4.pcap", "ipv4-bad-header-length.pcap", "ipv6-udp-dns-fragmented.pcap", "quality-attempts-client.pcap",
        "quality-attempts-server.pcap", "quality-synthetic.pcap",
    ];

    private readonly ITestOutputHelper _output;

    public IpfixCollectorLabTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Captures() => new(Directory.GetFiles(PcapDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    private static async Task<string> ReplayAsync(string pcap, params string[] extra)
    {
        var result = await ProcessRunner.CheckAsync(LabExporter.Executable, ["replay", pcap, .. extra], TimeSpan.FromSeconds(120));
        return result.StandardOutput;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public async Task Nfcapd_receives_every_connection_with_the_exporters_packets_and_tsharks_ip_octets(string capture)
    {
        var pcap = Path.Combine(PcapDirectory, capture);
        await using var nfcapd = await Nfcapd.StartAsync();
        var exposition = Exposition.Parse(await ReplayAsync(pcap, "--ipfix", $"udp://127.0.0.1:{nfcapd.Port}"));
        var flows = await nfcapd.StopAndReadAsync();

        // Packets per direction, per (initiator, target, protocol): the records against the exporter's series.
        var expected = new Dictionary<(string, string, string), (long, long)>();
        foreach (var sample in exposition.Named("network_connection_packets_total"))
        {
            var key = (sample.Label("initiator_ip"), sample.Label("target_ip"), Protocol(sample.Label("protocol")));
            var (forward, backward) = expected.GetValueOrDefault(key);
            expected[key] = sample.Label("direction") == "initiator_to_target" ? (forward + (long)sample.Value, backward) : (forward, backward + (long)sample.Value);
        }

        var received = new Dictionary<(string, string, string), (long, long)>();
        foreach (var flow in flows)
        {
            var key = (flow.Source, flow.Destination, Protocol(flow.Protocol));
            var (forward, backward) = received.GetValueOrDefault(key);
            received[key] = (forward + flow.InPackets, backward + flow.OutPackets);
        }

        _output.WriteLine($"{flows.Count} records for {expected.Count} initiator/target pairs");
        Assert.Equal(expected.OrderBy(e => e.Key), received.OrderBy(e => e.Key));
        var sent = exposition.Named("flowexporter_ipfix_records_total").Where(s => s.Label("result") == "sent").Sum(s => s.Value);
        Assert.Equal(flows.Count, (int)sent);

        if (!NoOctetsOracle.Contains(capture))
        {
            var octets = new Dictionary<(string, string), long>();
            foreach (var flow in flows)
            {
                octets[(flow.Source, flow.Destination)] = octets.GetValueOrDefault((flow.Source, flow.Destination)) + flow.InBytes;
                octets[(flow.Destination, flow.Source)] = octets.GetValueOrDefault((flow.Destination, flow.Source)) + flow.OutBytes;
            }

            var tshark = await IpOctetsOracle.PairsAsync(pcap);
            Assert.Equal(
                tshark.Where(e => e.Value != 0).OrderBy(e => e.Key),
                octets.Where(e => e.Value != 0).OrderBy(e => e.Key));
        }
    }

    [Fact]
    public async Task A_connection_longer_than_the_active_timeout_arrives_as_several_records_that_add_up_exactly()
    {
        var pcap = Path.Combine(PcapDirectory, "ipv6-tcp-smtp.pcap"); // one SMTP connection over 11.4 s
        var config = Path.Combine(Directory.CreateTempSubdirectory("fe-ipfix-active-").FullName, "config.yaml");
        try
        {
            await File.WriteAllTextAsync(config, "ipfix:\n  active_timeout: 2s\n");
            await using var nfcapd = await Nfcapd.StartAsync();
            var exposition = Exposition.Parse(await ReplayAsync(pcap, "--config", config, "--ipfix", $"udp://127.0.0.1:{nfcapd.Port}"));
            var flows = await nfcapd.StopAndReadAsync();
            foreach (var flow in flows)
            {
                _output.WriteLine(flow.ToString());
            }

            Assert.Equal(3, flows.Count); // bursts at 0-0.6 s, 8.8-10.5 s, 11.0-11.4 s: two active-timeout records, then forced end
            var packets = exposition.Named("network_connection_packets_total").ToDictionary(s => s.Label("direction"), s => (long)s.Value);
            Assert.Equal(packets["initiator_to_target"], flows.Sum(f => f.InPackets));
            Assert.Equal(packets["target_to_initiator"], flows.Sum(f => f.OutPackets));
            var tshark = await IpOctetsOracle.PairsAsync(pcap);
            Assert.Equal(tshark[(flows[0].Source, flows[0].Destination)], flows.Sum(f => f.InBytes));
            Assert.Equal(tshark[(flows[0].Destination, flows[0].Source)], flows.Sum(f => f.OutBytes));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
        }
    }

    private static string Protocol(string name) => name switch
    {
        "icmp6" or "ipv6-icmp" => "icmpv6",
        _ => name,
    };

    [Fact]
    public async Task Nfacctd_prints_each_connection_with_the_initiators_packets_and_octets()
    {
        LabPrerequisites.Require("nfacctd", "tshark");
        var directory = Directory.CreateTempSubdirectory("fe-nfacctd-").FullName;
        try
        {
            var port = UdpPorts.Free();
            var output = Path.Combine(directory, "flows.csv");
            var config = Path.Combine(directory, "nfacctd.conf");
            await File.WriteAllTextAsync(config, $"""
                nfacctd_port: {port}
                nfacctd_ip: 127.0.0.1
                plugins: print
                print_output: csv
                print_output_file: {output}
                print_refresh_time: 1
                aggregate: src_host, dst_host, src_port, dst_port, proto
                """);
            await using var nfacctd = BackgroundProcess.Start(null, "nfacctd", ["-f", config]);
            await UdpPorts.WaitUntilAsync(() => UdpPorts.ReceiveQueue(port) is not null || nfacctd.HasExited, TimeSpan.FromSeconds(20), "nfacctd bound");
            var pcap = Path.Combine(PcapDirectory, "sll-tcp-redis-loopback.pcap");
            var exposition = Exposition.Parse(await ReplayAsync(pcap, "--ipfix", $"udp://127.0.0.1:{port}"));
            var forward = exposition.Named("network_connection_packets_total")
                .Where(s => s.Label("direction") == "initiator_to_target")
                .ToDictionary(s => s.Label("initiator_port"), s => (long)s.Value);
            Assert.Equal(15, forward.Count);

            // pmacct reads the forward (initiator to target) counters of a biflow; the reverse IEs it leaves out.
            string[] rows = [];
            await UdpPorts.WaitUntilAsync(
                () => File.Exists(output) && (rows = File.ReadAllLines(output).Where(l => l.StartsWith("127.0.0.1,", StringComparison.Ordinal)).ToArray()).Length == forward.Count,
                TimeSpan.FromSeconds(30),
                "nfacctd printed every connection");
            var tshark = await ProcessRunner.CheckAsync("tshark", ["-r", pcap, "-n", "-T", "fields", "-e", "tcp.srcport", "-e", "ip.len"], TimeSpan.FromSeconds(60));
            var octets = tshark.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('\t'))
                .GroupBy(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.Sum());
            foreach (var row in rows)
            {
                _output.WriteLine(row);
                var f = row.Split(',');
                Assert.Equal(("127.0.0.1", "6379", "tcp"), (f[1], f[3], f[4]));
                Assert.Equal(forward[f[2]], long.Parse(f[5], CultureInfo.InvariantCulture));
                Assert.Equal(octets[f[2]], long.Parse(f[6], CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Tshark_decodes_every_message_without_malformed_or_expert_errors_for_ipv4_ipv6_tunnels_and_enterprise_ies()
    {
        LabPrerequisites.Require("tshark");
        var directory = Directory.CreateTempSubdirectory("fe-ipfix-tshark-").FullName;
        try
        {
            var port = UdpPorts.Free();
            var file = Path.Combine(directory, "ipfix.pcapng");
            await using (var capture = BackgroundProcess.Start(null, "tshark", ["-i", "lo", "-f", $"udp port {port}", "-w", file]))
            {
                await capture.WaitForOutputAsync("Capturing on", TimeSpan.FromSeconds(30));
                foreach (var pcap in new[] { "http-tcp-ethernet.pcap", "ipv6-tcp-smtp.pcap", "vxlan-http.pcap", "dns-udp-many-flows.pcap" })
                {
                    await ReplayAsync(Path.Combine(PcapDirectory, pcap), "--ipfix", $"udp://127.0.0.1:{port}", "--node", "lab-node");
                }

                await UdpPorts.WaitUntilAsync(() => new FileInfo(file).Length > 0, TimeSpan.FromSeconds(10), "tshark wrote packets");
                await capture.StopAsync(TimeSpan.FromSeconds(10), interrupt: true);
            }

            string[] decode = ["-r", file, "-d", $"udp.port=={port},cflow"];
            var expert = await ProcessRunner.CheckAsync("tshark", [.. decode, "-q", "-z", "expert,warn"], TimeSpan.FromSeconds(60));
            _output.WriteLine(expert.StandardOutput);
            Assert.DoesNotContain("Error", expert.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("Warning", expert.StandardOutput, StringComparison.Ordinal);
            var verbose = await ProcessRunner.CheckAsync("tshark", [.. decode, "-V"], TimeSpan.FromSeconds(60));
            Assert.DoesNotContain("Malformed", verbose.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("Reverse Type 1 BYTES", verbose.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("IfName: vxlan-http.pcap", verbose.StandardOutput, StringComparison.Ordinal);

            var fields = await ProcessRunner.CheckAsync(
                "tshark", [.. decode, "-T", "fields", "-E", "occurrence=a", "-e", "cflow.template_id", "-e", "cflow.srcaddr", "-e", "cflow.srcaddrv6", "-e", "cflow.octets", "-e", "cflow.packets"], TimeSpan.FromSeconds(60));
            _output.WriteLine(fields.StandardOutput);
            Assert.Contains("10.1.1.2", fields.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("2001:470:e5bf:dead:4957:2174:e82c:4887", fields.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("172.16.11.201", fields.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Quality on: the retransmission IEs (ours 8 and 9) decode in Wireshark's dissector and, over the records of a
    /// capture with loss, add up to tshark's own <c>tcp.analysis.retransmission</c> count of that capture.
    /// </summary>
    [Fact]
    public async Task Tshark_decodes_the_retransmission_ies_and_they_add_up_to_tsharks_retransmission_count()
    {
        LabPrerequisites.Require("tshark");
        var pcap = Path.Combine(PcapDirectory, "quality-loss-client.pcap");
        var oracle = await ProcessRunner.CheckAsync("tshark", ["-r", pcap, "-n", "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "frame.number"], TimeSpan.FromSeconds(60));
        var expected = oracle.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(expected > 0, "the capture has retransmissions");

        var directory = Directory.CreateTempSubdirectory("fe-ipfix-retrans-").FullName;
        try
        {
            var port = UdpPorts.Free();
            var file = Path.Combine(directory, "ipfix.pcapng");
            await using (var capture = BackgroundProcess.Start(null, "tshark", ["-i", "lo", "-f", $"udp port {port}", "-w", file]))
            {
                await capture.WaitForOutputAsync("Capturing on", TimeSpan.FromSeconds(30));
                var output = await ReplayAsync(pcap, "--quality", "--ipfix", $"udp://127.0.0.1:{port}");

                // Wait until tshark has written every message the replay sent (its file is readable while it writes).
                var messages = Exposition.Parse(output).Named("flowexporter_ipfix_messages_total").Single().Value;
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (await CapturedMessagesAsync(file, port) < messages)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"tshark wrote fewer than the {messages} messages sent");
                    await Task.Delay(100);
                }

                await capture.StopAsync(TimeSpan.FromSeconds(10), interrupt: true);
            }

            var verbose = await ProcessRunner.CheckAsync("tshark", ["-r", file, "-d", $"udp.port=={port},cflow", "-V"], TimeSpan.FromSeconds(60));
            Assert.DoesNotContain("Malformed", verbose.StandardOutput, StringComparison.Ordinal);
            var values = verbose.StandardOutput.Split('\n')
                .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"\(Example Enterprise Number for Documentation Use\) Type ([89]): Value \(hex bytes\): ([0-9a-f ]+)"))
                .Where(m => m.Success)
                .Select(m => (Type: m.Groups[1].Value, Value: Convert.ToInt64(m.Groups[2].Value.Replace(" ", string.Empty, StringComparison.Ordinal), 16)))
                .ToList();
            Assert.Contains(values, v => v.Type == "8");
            Assert.Contains(values, v => v.Type == "9");
            Assert.Equal(expected, values.Sum(v => v.Value));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>UDP datagrams to the port in tshark's file so far (a file still being written reads up to its last whole packet).</summary>
    private static async Task<int> CapturedMessagesAsync(string file, int port)
    {
        var read = await ProcessRunner.RunAsync("tshark", ["-r", file, "-n", "-Y", $"udp.dstport=={port}", "-T", "fields", "-e", "frame.number"], TimeSpan.FromSeconds(60));
        return read.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }
}
