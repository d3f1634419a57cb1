using System.Text.RegularExpressions;
using FlowExporter.Capture.Ebpf;
using FlowExporter.Correlator.Connections;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Ebpf;

/// <summary>
/// The eBPF program on one end of a veth pair against tcpdump on the same interface: per connection and direction, the
/// bytes and packets it counts (read in sweeps while the traffic runs) equal tshark's totals of the capture exactly.
/// </summary>
[Trait("Category", "Lab")]
public sealed partial class EbpfCountingLabTests
{
    private static readonly TimeSpan Sweeping = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Tcp_udp_and_ping_bytes_and_packets_per_direction_equal_tcpdump_and_the_initiator_is_the_libpcap_engines()
    {
        LabPrerequisites.Require("ip", "ethtool", "iperf3", "tcpdump", "tshark", "ping");
        await using var lab = await VethPairLab.StartAsync();
        var pcap = Path.Combine(lab.Directory, "truth.pcap");
        await using var tcpdump = await StartTcpdumpAsync(lab, pcap);
        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath);
        var attachment = NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, lab.IndexA));
        var sweeper = new EbpfSweeper(program, TimeProvider.System);
        var samples = new List<EbpfConnectionSample>();
        try
        {
            await using (var sweeping = new BackgroundSweeps(sweeper, samples, Sweeping))
            {
                await RunIperfAsync(lab, VethPairLab.AddressB, 5201, ["-n", "20M"]);
                await RunIperfAsync(lab, VethPairLab.AddressB, 5202, ["-u", "-b", "40M", "-n", "4M"]);
                await RunIperfAsync(lab, VethPairLab.Address6B, 5203, ["-n", "10M"]);
                await VethPairLab.ExecAsync(lab.NamespaceA, ["ping", "-c", "5", "-i", "0.2", VethPairLab.AddressB], TimeSpan.FromSeconds(20));
                Assert.True(sweeping.Sweeps > 3, $"several sweeps ran while the traffic did ({sweeping.Sweeps})");
            }

            await StopTcpdumpAsync(tcpdump, pcap);
            sweeper.Sweep(samples, CancellationToken.None);
        }
        finally
        {
            NetworkNamespaceThread.Run(lab.NamespaceA, () => { attachment.Dispose(); return 0; });
        }

        Assert.Equal(0, attachment.DetachError);
        Assert.Equal(0UL, sweeper.ReadCounters().MapFull);
        Assert.All(samples, s => Assert.Equal(lab.IndexA, s.InterfaceIndex));
        var counted = Merge(samples);
        var truth = await WireConnections.ReadAsync(pcap);
        var compared = truth.Keys.Where(k => k.PortB is 5201 or 5202 or 5203 || k.Protocol == 1).ToList();

        Assert.Equal(2, compared.Count(k => k.PortB == 5201));
        Assert.Equal(2, compared.Count(k => k.PortB == 5202)); // iperf3's control connection and the UDP datagrams
        Assert.Equal(2, compared.Count(k => k.PortB == 5203 && k.AddressA.IsV6));
        Assert.Single(compared, k => k.Protocol == 1);
        foreach (var key in compared)
        {
            var wire = truth[key];
            Assert.True(counted.TryGetValue(key, out var ebpf), $"the program counted {key}");
            Assert.Equal((wire.BytesFromA, wire.FramesFromA, wire.BytesFromB, wire.FramesFromB), ((long)ebpf.BytesFromA, (long)ebpf.PacketsFromA, (long)ebpf.BytesFromB, (long)ebpf.PacketsFromB));

            // The client's address is the lower one in both families, so the initiator is endpoint A throughout.
            var (initiatorIsA, evidence) = ebpf.First.Initiator();
            Assert.True(initiatorIsA, $"{key}: the client initiated");
            var expected = key.Protocol switch
            {
                6 => InitiatorEvidence.Syn,
                17 => InitiatorEvidence.Port,
                _ => InitiatorEvidence.FirstPacket,
            };
            Assert.Equal(expected, evidence);
            if (key.Protocol == 6)
            {
                Assert.Equal(HandshakeEvidence.SynFromA | HandshakeEvidence.SynAckFromB, ebpf.Handshake);
                Assert.True(ebpf.First.SynNanoseconds > 0 && ebpf.First.SynAckNanoseconds > ebpf.First.SynNanoseconds, $"{key}: SYN then SYN-ACK times");
                Assert.True(ebpf.Finished, $"{key}: FIN seen");
            }
        }
    }

    [Fact]
    public async Task With_segmentation_offload_on_bytes_equal_libpcaps_and_packets_are_the_segments_on_the_wire()
    {
        LabPrerequisites.Require("ip", "ethtool", "iperf3", "tcpdump", "tshark");
        await using var lab = await VethPairLab.StartAsync(offloads: true);
        var pcap = Path.Combine(lab.Directory, "gso.pcap");
        await using var tcpdump = await StartTcpdumpAsync(lab, pcap);
        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath);
        var attachment = NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, lab.IndexA));
        var sweeper = new EbpfSweeper(program, TimeProvider.System);
        var samples = new List<EbpfConnectionSample>();
        try
        {
            await RunIperfAsync(lab, VethPairLab.AddressB, 5201, ["-n", "64M"]);
            await StopTcpdumpAsync(tcpdump, pcap);
            sweeper.Sweep(samples, CancellationToken.None);
        }
        finally
        {
            NetworkNamespaceThread.Run(lab.NamespaceA, () => { attachment.Dispose(); return 0; });
        }

        // MTU 1500 less the IPv4 and TCP headers and the timestamp option Linux negotiates between its own ends.
        const int mss = 1448;
        var truth = await WireConnections.ReadAsync(pcap, mss);
        var counted = Merge(samples);
        var data = truth.Where(t => t.Key.PortB == 5201).MaxBy(t => t.Value.BytesFromA);
        Assert.True(data.Value.SegmentsFromA > data.Value.FramesFromA * 2, $"the sender's frames were super packets ({data.Value.FramesFromA} frames, {data.Value.SegmentsFromA} segments)");
        foreach (var (key, wire) in truth.Where(t => t.Key.PortB == 5201))
        {
            var ebpf = counted[key];
            Assert.Equal((wire.BytesFromA, wire.SegmentsFromA, wire.BytesFromB, wire.SegmentsFromB), ((long)ebpf.BytesFromA, (long)ebpf.PacketsFromA, (long)ebpf.BytesFromB, (long)ebpf.PacketsFromB));
        }
    }

    [Fact]
    public async Task Vlan_tagged_frames_count_as_tcpdump_sees_them_single_and_double_tagged_both_ways()
    {
        // This kernel has no 8021q module, so the tagged frames are written by packet sockets: from A they pass A's
        // egress hook with the tags in the frame; from B they reach A's ingress, where the kernel has already moved the
        // outer tag into skb metadata (libpcap writes it back; the program adds its 4 bytes).
        LabPrerequisites.Require("ip", "ethtool", "tcpdump", "tshark", "python3");
        await using var lab = await VethPairLab.StartAsync();
        var script = Path.Combine(lab.Directory, "tagged.py");
        await File.WriteAllTextAsync(script, TaggedFrames.Script);
        var pcap = Path.Combine(lab.Directory, "vlan.pcap");
        await using var tcpdump = await StartTcpdumpAsync(lab, pcap);
        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath);
        var attachment = NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, lab.IndexA));
        var sweeper = new EbpfSweeper(program, TimeProvider.System);
        var samples = new List<EbpfConnectionSample>();
        try
        {
            await VethPairLab.ExecAsync(lab.NamespaceA, ["python3", script, lab.InterfaceA, "a"], TimeSpan.FromSeconds(30));
            await VethPairLab.ExecAsync(lab.NamespaceB, ["python3", script, lab.InterfaceB, "b"], TimeSpan.FromSeconds(30));
            await StopTcpdumpAsync(tcpdump, pcap);
            sweeper.Sweep(samples, CancellationToken.None);
        }
        finally
        {
            NetworkNamespaceThread.Run(lab.NamespaceA, () => { attachment.Dispose(); return 0; });
        }

        var truth = await WireConnections.ReadAsync(pcap);
        var counted = Merge(samples);
        var compared = truth.Keys.Where(k => k.AddressA.ToString() == "10.99.1.1").ToList();
        Assert.Equal(2, compared.Count); // UDP 40000 -> 7000 and its reverse under one tag, TCP 41000 -> 8000 under two
        foreach (var key in compared)
        {
            var wire = truth[key];
            Assert.True(wire.FramesFromA > 0 && wire.FramesFromB > 0, $"{key}: frames both ways");
            var ebpf = counted[key];
            Assert.Equal((wire.BytesFromA, wire.FramesFromA, wire.BytesFromB, wire.FramesFromB), ((long)ebpf.BytesFromA, (long)ebpf.PacketsFromA, (long)ebpf.BytesFromB, (long)ebpf.PacketsFromB));

            // IP octets are the frames' bytes less the Ethernet header and the tags (UDP one, TCP two); the VLAN id is
            // the outer tag of the first packet (A's, sent first, its tags in the frame): 802.1Q 10, 802.1ad 20.
            var tags = key.Protocol == 6 ? 2 : 1;
            var sample = Assert.Single(samples, s => s.Protocol == key.Protocol && s.PortA == key.PortA && s.PortB == key.PortB);
            Assert.Equal(
                (wire.BytesFromA - (wire.FramesFromA * (14 + (4 * tags))), wire.BytesFromB - (wire.FramesFromB * (14 + (4 * tags)))),
                ((long)sample.IpBytesFromA, (long)sample.IpBytesFromB));
            Assert.Equal(key.Protocol == 6 ? 20 : 10, sample.VlanId);
        }
    }

    [Fact]
    public async Task A_full_map_counts_every_packet_it_could_not_take_and_loses_nothing_else()
    {
        LabPrerequisites.Require("ip", "ethtool", "tcpdump", "tshark", "python3");
        await using var lab = await VethPairLab.StartAsync();
        foreach (var ns in new[] { lab.NamespaceA, lab.NamespaceB })
        {
            // No IPv6 neighbour discovery or MLD: the datagrams below and B's answers are the only IP packets.
            await VethPairLab.ExecAsync(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"], TimeSpan.FromSeconds(10));
        }

        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath, flowEntries: 2);
        var attachment = NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, lab.IndexA));
        var sweeper = new EbpfSweeper(program, TimeProvider.System);
        var samples = new List<EbpfConnectionSample>();
        var pcap = Path.Combine(lab.Directory, "full.pcap");
        try
        {
            await using var tcpdump = await StartTcpdumpAsync(lab, pcap);
            await VethPairLab.ExecAsync(
                lab.NamespaceA,
                ["python3", "-c", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor port in range(7000, 7010): s.sendto(b'x' * 64, ('10.99.0.2', port))"],
                TimeSpan.FromSeconds(30));
            await StopTcpdumpAsync(tcpdump, pcap);
            sweeper.Sweep(samples, CancellationToken.None);
        }
        finally
        {
            NetworkNamespaceThread.Run(lab.NamespaceA, () => { attachment.Dispose(); return 0; });
        }

        var truth = await WireConnections.ReadAsync(pcap);
        var wirePackets = truth.Values.Sum(t => t.FramesFromA + t.FramesFromB);
        var counters = sweeper.ReadCounters();
        Assert.True(samples.Count <= 2, $"at most the map's 2 entries ({samples.Count})");
        Assert.True(counters.MapFull >= 8, $"the datagrams to 8 more ports were counted as map_full ({counters.MapFull})");
        Assert.Equal(wirePackets, samples.Sum(s => (long)(s.PacketsFromA + s.PacketsFromB)) + (long)counters.MapFull);
        foreach (var sample in samples)
        {
            var wire = truth[new ConnectionKey(0, sample.Protocol, sample.AddressA, sample.PortA, sample.AddressB, sample.PortB)];
            Assert.Equal((wire.BytesFromA, wire.FramesFromA, wire.BytesFromB, wire.FramesFromB), ((long)sample.BytesFromA, (long)sample.PacketsFromA, (long)sample.BytesFromB, (long)sample.PacketsFromB));
        }
    }

    internal sealed record Counted(ulong BytesFromA, ulong PacketsFromA, ulong BytesFromB, ulong PacketsFromB, EbpfConnectionSample First, HandshakeEvidence Handshake, bool Finished);

    /// <summary>Sums each connection's deltas over the sweeps; the first-packet facts are those of its earliest sample.</summary>
    internal static Dictionary<ConnectionKey, Counted> Merge(IEnumerable<EbpfConnectionSample> samples)
    {
        var merged = new Dictionary<ConnectionKey, Counted>();
        foreach (var s in samples.OrderBy(s => s.FirstSeenNanoseconds))
        {
            var key = new ConnectionKey(0, s.Protocol, s.AddressA, s.PortA, s.AddressB, s.PortB);
            merged[key] = merged.TryGetValue(key, out var c)
                ? c with
                {
                    BytesFromA = c.BytesFromA + s.BytesFromA,
                    PacketsFromA = c.PacketsFromA + s.PacketsFromA,
                    BytesFromB = c.BytesFromB + s.BytesFromB,
                    PacketsFromB = c.PacketsFromB + s.PacketsFromB,
                    Handshake = c.Handshake | s.Handshake,
                    Finished = c.Finished || s.Finished,
                }
                : new Counted(s.BytesFromA, s.PacketsFromA, s.BytesFromB, s.PacketsFromB, s, s.Handshake, s.Finished);
        }

        return merged;
    }

    internal static async Task<BackgroundProcess> StartTcpdumpAsync(VethPairLab lab, string pcap)
    {
        var tcpdump = BackgroundProcess.Start(lab.NamespaceA, "tcpdump", ["-i", lab.InterfaceA, "-s", "200", "-B", "65536", "--immediate-mode", "-n", "-U", "-w", pcap]);
        await tcpdump.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(20));
        return tcpdump;
    }

    /// <summary>
    /// Waits until tcpdump has written what it received (its file holds still for half a second), stops it and checks
    /// it wrote every frame its filter received, with no kernel drop.
    /// </summary>
    internal static async Task StopTcpdumpAsync(BackgroundProcess tcpdump, string pcap)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var length = -1L;
        var still = System.Diagnostics.Stopwatch.StartNew();
        while (still.Elapsed < TimeSpan.FromMilliseconds(500))
        {
            var now = new FileInfo(pcap).Length;
            if (now != length)
            {
                length = now;
                still.Restart();
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "tcpdump kept writing for a minute after the traffic ended");
            await Task.Delay(50);
        }

        Assert.True(await tcpdump.StopAsync(TimeSpan.FromSeconds(10), interrupt: true));
        var captured = CapturedLine().Match(tcpdump.Output).Groups[1].Value;
        var received = ReceivedLine().Match(tcpdump.Output).Groups[1].Value;
        Assert.True(captured.Length > 0 && captured == received, $"tcpdump wrote every frame its filter received:\n{tcpdump.Output}");
        Assert.Matches(DroppedNoneLine(), tcpdump.Output);
    }

    internal static Task RunIperfAsync(VethPairLab lab, string server, int port, IReadOnlyList<string> options) =>
        RunIperfAsync(lab.NamespaceB, lab.NamespaceA, server, port, options);

    /// <summary>One iperf3 test: the server in <paramref name="serverNamespace"/>, the client in <paramref name="clientNamespace"/>.</summary>
    internal static async Task RunIperfAsync(string serverNamespace, string clientNamespace, string server, int port, IReadOnlyList<string> options)
    {
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var iperfServer = BackgroundProcess.Start(serverNamespace, "iperf3", ["-s", "-1", "-B", server, "-p", portText, "--forceflush"]);
        await iperfServer.WaitForOutputAsync("Server listening", TimeSpan.FromSeconds(20));
        await VethPairLab.ExecAsync(clientNamespace, ["iperf3", "-c", server, "-p", portText, .. options], TimeSpan.FromSeconds(120));
        Assert.True(await iperfServer.WaitForExitAsync(TimeSpan.FromSeconds(20)), "the iperf3 server finished its one test");
    }

    [GeneratedRegex("^(\\d+) packets captured", RegexOptions.Multiline)]
    private static partial Regex CapturedLine();

    [GeneratedRegex("^(\\d+) packets received by filter", RegexOptions.Multiline)]
    private static partial Regex ReceivedLine();

    [GeneratedRegex("^0 packets dropped by kernel", RegexOptions.Multiline)]
    private static partial Regex DroppedNoneLine();

    /// <summary>Sweeps on an interval on its own thread (the sweeper's one owner) until disposed.</summary>
    private sealed class BackgroundSweeps : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _sweeps;

        public BackgroundSweeps(EbpfSweeper sweeper, List<EbpfConnectionSample> into, TimeSpan interval)
        {
            _loop = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                try
                {
                    while (await timer.WaitForNextTickAsync(_stop.Token))
                    {
                        sweeper.Sweep(into, _stop.Token);
                        Interlocked.Increment(ref _sweeps);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        public int Sweeps => Volatile.Read(ref _sweeps);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
