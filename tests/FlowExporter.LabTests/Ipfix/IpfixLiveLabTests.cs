using System.Net;
using System.Net.Sockets;
using FlowExporter.LabTests.Ebpf;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;
using FlowExporter.TestSupport;
using Xunit.Abstractions;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// The exporter capturing live (libpcap) on one end of a namespace pair, exporting to nfdump's nfcapd and pmacct's
/// nfacctd on the host side, while tcpdump records the same interface: per connection, the records' deltas add up
/// exactly to the exporter's final counters and to tshark's totals of the capture; a connection longer than the active
/// timeout arrives as several records; one still open at SIGTERM arrives with flow end reason forced end. And a TCP
/// collector that is not listening yet: records counted dropped while capture goes on, later records once it listens.
/// The same traffic under the eBPF engine: its records carry tshark's packets and IP octets per connection.
/// </summary>
[Trait("Category", "Lab")]
[Collection(IpfixCollectorsCollection.Name)]
public sealed class IpfixLiveLabTests
{
    private const int TcpPort = 5301;
    private const int UdpPort = 5302;
    private const int EthernetHeader = 14;
    private const long ActiveTimeoutMilliseconds = 2000;
    private const int ActiveTimeoutReason = 2;
    private const int EndOfFlowReason = 3;
    private const int ForcedEndReason = 4;
    private readonly ITestOutputHelper _output;

    public IpfixLiveLabTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Live_records_at_nfcapd_and_nfacctd_add_up_to_the_exporters_counters_and_tcpdumps_totals()
    {
        LabPrerequisites.Require("ip", "ethtool", "iperf3", "tcpdump", "tshark", "nfcapd", "nfdump", "nfacctd");
        await using var lab = await VethPairLab.StartAsync();
        await using var host = await HostLink.AddAsync(lab.NamespaceA);
        await using var nfcapd = await Nfcapd.StartAsync(host.HostAddress);
        await using var nfacctd = await Nfacctd.StartAsync(host.HostAddress);
        var config = Path.Combine(lab.Directory, "config.yaml");
        await File.WriteAllTextAsync(config, "ipfix:\n  active_timeout: 2s\n");
        var pcap = Path.Combine(lab.Directory, "truth.pcap");
        await using var tcpdump = await EbpfCountingLabTests.StartTcpdumpAsync(lab, pcap);
        await using var exporter = await LabExporter.StartAsync(
            lab.NamespaceA,
            ["--config", config, "--interface", lab.InterfaceA, "--node", "ipfix-live",
             "--ipfix", $"udp://{host.HostAddress}:{nfcapd.Port}", "--ipfix", $"udp://{host.HostAddress}:{nfacctd.Port}"]);

        // TCP for three active timeouts, then UDP for more than one; the UDP stream never ends by itself.
        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.AddressB, TcpPort, ["-t", "6", "-b", "20M"]);
        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.AddressB, UdpPort, ["-u", "-t", "3", "-b", "2M"]);
        // The first test's connections end 3 s before the second's: on a slow machine they may have left the table
        // (5 s after their FIN) before the counts settle, so every connection series the wait saw is kept.
        var final = await exporter.ScrapeUntilQuietAsync(
            s => s.Named("network_connection_packets_total").Sum(x => x.Value), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), keepDeparted: true);
        Assert.All(final.Named("network_capture_dropped_packets_total"), s => Assert.Equal(0, s.Value));
        Assert.All(
            final.Named("flowexporter_ipfix_records_total").Where(s => s.Label("result") != "sent"),
            s => Assert.True(s.Value == 0, $"{s.Label("collector")} {s.Label("result")} {s.Value}"));

        Assert.True(await exporter.Process.StopAsync(TimeSpan.FromSeconds(30)), "the exporter exits within 30 s of SIGTERM");
        Assert.Equal(0, exporter.Process.ExitCode);
        await EbpfCountingLabTests.StopTcpdumpAsync(tcpdump, pcap);
        var records = await nfcapd.StopAndReadRawAsync();
        var wire = await DirectionWireTotals.ReadAsync(pcap);
        var connections = Connections(final);
        foreach (var record in records)
        {
            _output.WriteLine(record.ToString());
        }

        // iperf3's control connection and data stream for each test.
        Assert.Equal(3, connections.Keys.Count(k => k.Protocol == "tcp"));
        Assert.Single(connections.Keys, k => k.Protocol == "udp");
        foreach (var (key, counters) in connections)
        {
            var forward = wire[(key.Protocol, key.Initiator, key.InitiatorPort, key.Target, key.TargetPort)];
            var backward = wire[(key.Protocol, key.Target, key.TargetPort, key.Initiator, key.InitiatorPort)];
            _output.WriteLine($"{key}: exporter {counters}, tshark {forward} / {backward}");

            // The exporter's counters are tcpdump's frames and frame bytes (Ethernet: IP octets plus 14 each).
            Assert.Equal((forward.Frames, forward.FrameBytes, backward.Frames, backward.FrameBytes), counters);
            Assert.Equal((forward.IpOctets, backward.IpOctets), (forward.FrameBytes - (EthernetHeader * forward.Frames), backward.FrameBytes - (EthernetHeader * backward.Frames)));

            // nfdump shows IP octets (octetDeltaCount): in = initiator to target, out = the reverse IEs.
            var mine = records.Where(r => Is(r, key)).OrderBy(r => r.FirstMilliseconds).ToList();
            Assert.NotEmpty(mine);
            Assert.Equal(
                (forward.Frames, forward.IpOctets, backward.Frames, backward.IpOctets),
                (mine.Sum(r => r.InPackets), mine.Sum(r => r.InBytes), mine.Sum(r => r.OutPackets), mine.Sum(r => r.OutBytes)));

            // Records of a connection follow each other; all but the last ended at the active timeout, within it (to the
            // millisecond nfdump keeps).
            for (var i = 0; i < mine.Count - 1; i++)
            {
                Assert.Equal(ActiveTimeoutReason, mine[i].EndReason);
                Assert.True(mine[i].LastMilliseconds - mine[i].FirstMilliseconds <= ActiveTimeoutMilliseconds, mine[i].ToString());
                Assert.True(mine[i + 1].FirstMilliseconds >= mine[i].LastMilliseconds, mine[i + 1].ToString());
            }

            Assert.Contains(mine[^1].EndReason, key.Protocol == "udp" ? new[] { ForcedEndReason } : new[] { EndOfFlowReason, ForcedEndReason });
        }

        var transfer = connections.Where(c => c.Key.Protocol == "tcp" && c.Key.TargetPort == TcpPort).MaxBy(c => c.Value.ForwardBytes).Key;
        Assert.True(records.Count(r => Is(r, transfer)) >= 3, "the 6 s transfer arrives as at least three records (2 s active timeout)");
        var udp = connections.Keys.Single(k => k.Protocol == "udp");
        Assert.True(records.Count(r => Is(r, udp)) >= 2, "the 3 s UDP stream arrives as at least two records");

        // pmacct prints the forward IEs: the initiator's packets and IP octets, summed over its prints.
        var expected = connections.ToDictionary(
            c => (c.Key.Initiator, c.Key.InitiatorPort, c.Key.Target, c.Key.TargetPort, c.Key.Protocol),
            c => (c.Value.ForwardPackets, wire[(c.Key.Protocol, c.Key.Initiator, c.Key.InitiatorPort, c.Key.Target, c.Key.TargetPort)].IpOctets));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var printed = nfacctd.Printed();
        while (!expected.All(e => printed.GetValueOrDefault(e.Key) == e.Value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            printed = nfacctd.Printed();
        }

        Assert.Equal(expected.OrderBy(e => e.Key), printed.Where(p => expected.ContainsKey(p.Key)).OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Under_the_ebpf_engine_records_at_nfcapd_carry_tcpdumps_packets_and_ip_octets_per_connection()
    {
        LabPrerequisites.Require("ip", "ethtool", "iperf3", "tcpdump", "tshark", "nfcapd", "nfdump");
        await using var lab = await VethPairLab.StartAsync();
        await using var host = await HostLink.AddAsync(lab.NamespaceA);
        await using var nfcapd = await Nfcapd.StartAsync(host.HostAddress);
        var config = Path.Combine(lab.Directory, "config.yaml");
        await File.WriteAllTextAsync(config, "ipfix:\n  active_timeout: 2s\n");
        var pcap = Path.Combine(lab.Directory, "truth.pcap");
        await using var tcpdump = await EbpfCountingLabTests.StartTcpdumpAsync(lab, pcap);
        await using var exporter = await LabExporter.StartAsync(
            lab.NamespaceA,
            ["--config", config, "--interface", lab.InterfaceA, "--node", "ipfix-ebpf", "--engine", "ebpf", "--ipfix", $"udp://{host.HostAddress}:{nfcapd.Port}"]);
        Assert.Contains(await exporter.ScrapeAsync(), s => s.Name == "flowexporter_capture_engine_info" && s.Label("engine") == "ebpf" && s.Value == 1);

        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.AddressB, TcpPort, ["-t", "6", "-b", "20M"]);
        await EbpfCountingLabTests.RunIperfAsync(lab, VethPairLab.AddressB, UdpPort, ["-u", "-t", "3", "-b", "2M"]);
        await EbpfCountingLabTests.StopTcpdumpAsync(tcpdump, pcap);
        var wire = await DirectionWireTotals.ReadAsync(pcap);
        var expected = wire.Keys.Where(k => k.DestinationPort is TcpPort or UdpPort).ToList();
        Assert.Equal(3, expected.Count(k => k.Protocol == "tcp"));
        Assert.Single(expected, k => k.Protocol == "udp");

        // The exporter's last sweep follows the program's detach at SIGTERM, and its open connections then leave as
        // forced-end records: every packet tcpdump saw is in a record.
        Assert.True(await exporter.Process.StopAsync(TimeSpan.FromSeconds(30)), "the exporter exits within 30 s of SIGTERM");
        Assert.Equal(0, exporter.Process.ExitCode);
        var records = await nfcapd.StopAndReadRawAsync();
        foreach (var record in records)
        {
            _output.WriteLine(record.ToString());
        }

        foreach (var k in expected)
        {
            var forward = wire[k];
            var backward = wire.GetValueOrDefault((k.Protocol, k.Destination, k.DestinationPort, k.Source, k.SourcePort)) ?? new DirectionWireTotals(0, 0, 0);
            var key = new LiveConnection(k.Protocol, k.Source, k.SourcePort, k.Destination, k.DestinationPort);
            var mine = records.Where(r => Is(r, key)).ToList();
            _output.WriteLine($"{key}: {mine.Count} records, tshark {forward} / {backward}");

            // Untagged Ethernet: IP octets are frame bytes less 14 per frame, and the records carry exactly those.
            Assert.Equal((forward.IpOctets, backward.IpOctets), (forward.FrameBytes - (EthernetHeader * forward.Frames), backward.FrameBytes - (EthernetHeader * backward.Frames)));
            Assert.NotEmpty(mine);
            Assert.Equal(
                (forward.Frames, forward.IpOctets, backward.Frames, backward.IpOctets),
                (mine.Sum(r => r.InPackets), mine.Sum(r => r.InBytes), mine.Sum(r => r.OutPackets), mine.Sum(r => r.OutBytes)));
        }
    }

    [Fact]
    public async Task A_tcp_collector_down_counts_records_not_connected_while_capture_goes_on_and_gets_later_records_once_it_listens()
    {
        LabPrerequisites.Require("ip", "ethtool", "ping");
        await using var lab = await VethPairLab.StartAsync();
        await using var host = await HostLink.AddAsync(lab.NamespaceA);
        var address = IPAddress.Parse(host.HostAddress);
        int port;
        using (var probe = new TcpListener(address, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var collector = $"tcp://{host.HostAddress}:{port}";
        var config = Path.Combine(lab.Directory, "config.yaml");
        await File.WriteAllTextAsync(config, "ipfix:\n  active_timeout: 1s\n");
        await using var exporter = await LabExporter.StartAsync(
            lab.NamespaceA, ["--config", config, "--interface", lab.InterfaceA, "--node", "ipfix-live", "--ipfix", collector]);

        // A ping five times a second: its connection sends a record (active timeout) about every second.
        await using var ping = BackgroundProcess.Start(lab.NamespaceA, "ping", ["-n", "-i", "0.2", "-c", "600", VethPairLab.AddressB]);
        var down = await exporter.ScrapeUntilAsync(s => Records(s, "not_connected") >= 2, TimeSpan.FromSeconds(30), "records counted not_connected while the collector is down");
        Assert.Equal(0, Records(down, "sent"));
        Assert.Equal(0, down.Named("flowexporter_ipfix_collector_up").Single().Value);
        Assert.Equal(0, down.Named("flowexporter_source_instance_up").Single(s => s.Label("source") == "ipfix").Value);
        Assert.True(down.Named("network_connection_packets_total").Where(s => s.Label("protocol") == "icmp").Sum(s => s.Value) >= 10, "the capture counts the pings meanwhile");

        using var listener = new TcpListener(address, port);
        listener.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var client = await listener.AcceptTcpClientAsync(timeout.Token);
        // The ping's records (IPv4, template 256) arrive about once a second; the link's own IPv6 neighbour discovery
        // may add a record of template 257 among them.
        var (_, records) = await IpfixStreamReader.ReadAsync(client.GetStream(), 4, timeout.Token);
        Assert.All(records, r => Assert.True(r.Template is 256 or 257 && r.Packets > 0, r.ToString()));
        Assert.Contains(records, r => r.Template == 256);
        var up = await exporter.ScrapeUntilAsync(
            s => Records(s, "sent") >= 2 && s.Named("flowexporter_ipfix_collector_up").Single().Value == 1, TimeSpan.FromSeconds(30), "records counted sent once the collector listens");
        Assert.Equal(1, up.Named("flowexporter_source_instance_up").Single(s => s.Label("source") == "ipfix").Value);
        Assert.True(Records(up, "not_connected") >= Records(down, "not_connected"));
    }

    private static double Records(IReadOnlyList<Sample> samples, string result) =>
        samples.Named("flowexporter_ipfix_records_total").Where(s => s.Label("result") == result).Sum(s => s.Value);

    private static bool Is(NfdumpRawRecord record, LiveConnection key) =>
        (record.Source, record.SourcePort, record.Destination, record.DestinationPort, record.Protocol == 6 ? "tcp" : record.Protocol == 17 ? "udp" : "other")
        == (key.Initiator, key.InitiatorPort, key.Target, key.TargetPort, key.Protocol);

    /// <summary>The exporter's counters of the iperf3 connections (by target port), per initiator and target.</summary>
    private static Dictionary<LiveConnection, (long ForwardPackets, long ForwardBytes, long BackwardPackets, long BackwardBytes)> Connections(IReadOnlyList<Sample> samples)
    {
        var connections = new Dictionary<LiveConnection, (long, long, long, long)>();
        foreach (var family in new[] { "network_connection_packets_total", "network_connection_bytes_total" })
        {
            foreach (var s in samples.Named(family).Where(s => s.Label("target_port") is "5301" or "5302"))
            {
                var key = new LiveConnection(
                    s.Label("protocol"), s.Label("initiator_ip"), int.Parse(s.Label("initiator_port"), System.Globalization.CultureInfo.InvariantCulture),
                    s.Label("target_ip"), int.Parse(s.Label("target_port"), System.Globalization.CultureInfo.InvariantCulture));
                var (forwardPackets, forwardBytes, backwardPackets, backwardBytes) = connections.GetValueOrDefault(key);
                var value = (long)s.Value;
                var forward = s.Label("direction") == "initiator_to_target";
                connections[key] = family == "network_connection_packets_total"
                    ? (forward ? forwardPackets + value : forwardPackets, forwardBytes, forward ? backwardPackets : backwardPackets + value, backwardBytes)
                    : (forwardPackets, forward ? forwardBytes + value : forwardBytes, backwardPackets, forward ? backwardBytes : backwardBytes + value);
            }
        }

        return connections;
    }

    private sealed record LiveConnection(string Protocol, string Initiator, int InitiatorPort, string Target, int TargetPort);
}
