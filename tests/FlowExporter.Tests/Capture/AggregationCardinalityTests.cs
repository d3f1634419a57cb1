using System.Buffers;
using System.Text;
using FlowExporter.Capture;
using FlowExporter.Configuration;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.TestSupport;

namespace FlowExporter.Tests.Capture;

/// <summary>
/// The cardinality proof of docs/cardinality.md: 100,000 connections between 1,000 pods (<see cref="SyntheticCluster"/>)
/// through the capture pipeline at each aggregation level give exactly the series count the documented formula gives,
/// and a series cap below the need holds while its counters say exactly what was not exported.
/// </summary>
public sealed class AggregationCardinalityTests
{
    private const int LinkTypeEthernet = 1;
    private const long Start = 1_700_000_000L * 1_000_000_000;
    private const long TotalBytes = (SyntheticCluster.ConnectionCount / 2L * SyntheticCluster.Ipv4ConnectionBytes) + (SyntheticCluster.ConnectionCount / 2L * SyntheticCluster.Ipv6ConnectionBytes);

    private static readonly Lazy<PlannedConnection[]> Plan = new(() => [.. SyntheticCluster.Connections()]);
    private static readonly Lazy<EndpointIndex> Index = new(SyntheticCluster.Index);

    private sealed record Run(string Text, IReadOnlyList<Sample> Samples, int InternedIdentities)
    {
        public double Gauge(string name) => Samples.Named(name).Single().Value;

        public IReadOnlyList<Sample> Bytes(string direction) =>
            [.. Samples.Named("network_connection_bytes_total").Where(s => s.Label("direction") == direction)];
    }

    private static Run Feed(string level, int maxSeries)
    {
        var options = ExporterOptions.FromConfiguration(
            ConfigLoader.Load(null, new Dictionary<string, string?>(), new Dictionary<string, string?>
            {
                ["node"] = "node-a",
                ["connections:aggregation"] = level,
                ["connections:max"] = SyntheticCluster.ConnectionCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["connections:max_series"] = maxSeries.ToString(System.Globalization.CultureInfo.InvariantCulture),

                // The identity counts below are those the connection series hold; quality series (their own level and
                // bound, docs/quality.md) would hold references on the same interned identities.
                ["quality:enabled"] = "false",
            }),
            "host");
        var index = Index.Value;
        var accounting = new ConnectionAccounting(options, clock: null, () => index);
        var sink = accounting.RegisterInterface("eth0");
        var plan = Plan.Value;
        accounting.Engine.Batch((Sink: sink, Plan: plan), static state =>
        {
            for (var i = 0; i < state.Plan.Length; i++)
            {
                var at = Start + (i * 1000L);
                state.Sink.Accept(new CapturedFrame(0, LinkTypeEthernet, at, state.Plan[i].Syn.Length, state.Plan[i].Syn));
                state.Sink.Accept(new CapturedFrame(0, LinkTypeEthernet, at + 1, state.Plan[i].SynAck.Length, state.Plan[i].SynAck));
            }

            return state.Plan.Length;
        });

        var buffer = new ArrayBufferWriter<byte>();
        accounting.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText));
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        var interned = accounting.Engine.InternedIdentities;
        return new Run(text, Exposition.Parse(text), interned);
    }

    /// <summary>
    /// docs/cardinality.md, for this cluster (one interface, TCP, every initiator decided by its SYN):
    /// connection = connections; endpoint = initiator addresses x targets x ports = (1,000 x 2) x 5 x 2;
    /// pod_pair = initiator pods x targets x ports = 1,000 x 5 x 2 (the two address families of a pod merge);
    /// workload_pair = initiator workloads x observation points x target workloads or Services x ports = 50 x 2 x 5 x 2
    /// (a workload's even pods are on this node: observed at the initiator; its odd pods talk to odd pods or Services,
    /// both elsewhere: transit).
    /// </summary>
    [Theory]
    [InlineData("connection", 100_000, 0)]
    [InlineData("endpoint", 20_000, 0)]
    [InlineData("pod_pair", 10_000, SyntheticCluster.Pods + SyntheticCluster.Workloads)]
    [InlineData("workload_pair", 1_000, SyntheticCluster.Workloads * 2)]
    public void Each_level_exports_exactly_the_documented_series_count(string level, int expectedSeries, int expectedIdentities)
    {
        var run = Feed(level, maxSeries: 100_000);

        Assert.Equal(expectedSeries, run.Gauge("network_connection_series"));
        var forward = run.Bytes("initiator_to_target");
        Assert.Equal(expectedSeries, forward.Count);
        Assert.Equal(expectedSeries, run.Bytes("target_to_initiator").Count);
        Assert.Equal(expectedSeries * 4, run.Samples.Count(s => s.Name is "network_connection_bytes_total" or "network_connection_packets_total"));
        Assert.Equal(SyntheticCluster.ConnectionCount - expectedSeries, run.Gauge("network_connection_series_merged_total"));
        Assert.Equal(0, run.Gauge("network_connection_series_rejected_total"));
        Assert.Equal(0, run.Gauge("network_connection_series_rejected_bytes_total"));
        Assert.Equal(SyntheticCluster.ConnectionCount, run.Gauge("network_connections_tracked"));
        Assert.Equal(TotalBytes, forward.Sum(s => s.Value) + run.Bytes("target_to_initiator").Sum(s => s.Value));
        Assert.Equal(expectedIdentities, run.InternedIdentities);

        var hasAddresses = level is "connection" or "endpoint";
        Assert.All(forward, s => Assert.Equal(hasAddresses, s.Labels.ContainsKey("initiator_ip")));
        Assert.All(forward, s => Assert.Equal(level == "connection", s.Labels.ContainsKey("initiator_port")));
        Assert.All(forward, s => Assert.Equal(level == "pod_pair" || hasAddresses, s.Labels.ContainsKey("initiator_pod")));
        Assert.All(forward, s => Assert.True(s.Labels.ContainsKey("target_port")));
    }

    [Fact]
    public void Pod_pair_labels_name_workloads_services_and_where_the_node_saw_them()
    {
        var forward = Feed("pod_pair", maxSeries: 100_000).Bytes("initiator_to_target");
        var toService = forward.Single(s => s.Has(("initiator_pod", "wl-0-0"), ("target_port", "80"), ("target_service", "svc-5")));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["node"] = "node-a",
                ["interface"] = "eth0",
                ["protocol"] = "tcp",
                ["target_port"] = "80",
                ["direction"] = "initiator_to_target",
                ["initiator_evidence"] = "syn",
                ["observed_at"] = "initiator",
                ["initiator_namespace"] = "ns-0",
                ["initiator_pod"] = "wl-0-0",
                ["initiator_workload"] = "wl-0",
                ["target_namespace"] = "ns-0",
                ["target_service"] = "svc-5",
            },
            toService.Labels);

        // 5 rounds x 2 families of SYNs (54 bytes over IPv4, 74 over IPv6) merged into the one series.
        Assert.Equal(5 * (54 + 74), toService.Value);
        var toPod = forward.Single(s => s.Has(("initiator_pod", "wl-1-21"), ("target_pod", "wl-3-61"), ("target_port", "443")));
        Assert.Equal("transit", toPod.Label("observed_at"));
        Assert.Equal("wl-3", toPod.Label("target_workload"));
    }

    /// <summary>
    /// pod_pair needs 10,000 series; with room for 6,000 the keys that appear first (round 0, IPv4, pods 0..599, in
    /// plan order) get them. The 4,000 keys of pods 600..999 get none: each is 10 connections (5 rounds x 2 families),
    /// 20 packets and 5 x 108 + 5 x 148 = 1,280 bytes that are tracked but not exported.
    /// </summary>
    [Fact]
    public void A_series_cap_below_the_need_holds_and_says_exactly_what_it_did_not_export()
    {
        var run = Feed("pod_pair", maxSeries: 6_000);

        Assert.Equal(6_000, run.Gauge("network_connection_series"));
        Assert.Equal(6_000, run.Gauge("network_connection_series_max"));
        Assert.Equal(6_000, run.Bytes("initiator_to_target").Count);
        Assert.Equal(4_000 * 10, run.Gauge("network_connection_series_rejected_total"));
        Assert.Equal(4_000 * 1_280, run.Gauge("network_connection_series_rejected_bytes_total"));
        Assert.Equal(4_000 * 20, run.Gauge("network_connection_series_rejected_packets_total"));
        Assert.Equal((6_000 * 10) - 6_000, run.Gauge("network_connection_series_merged_total"));
        Assert.Equal(SyntheticCluster.ConnectionCount, run.Gauge("network_connections_tracked"));
        var exported = run.Bytes("initiator_to_target").Concat(run.Bytes("target_to_initiator")).Sum(s => s.Value);
        Assert.Equal(TotalBytes - (4_000 * 1_280), exported);
        Assert.DoesNotContain(run.Bytes("initiator_to_target"), s => int.Parse(s.Label("initiator_pod").Split('-')[2], System.Globalization.CultureInfo.InvariantCulture) >= 600);

        // Identities are held only by exported series: pods 0..679 (initiators 0..599 and their targets up to +80)
        // and the Services of workloads 5..34.
        Assert.Equal(680 + 30, run.InternedIdentities);
    }

    /// <summary>At the connection level the first 60,000 connections (rounds 0..2) get series; rounds 3 and 4 (20,000
    /// IPv4 and 20,000 IPv6 connections) do not.</summary>
    [Fact]
    public void The_cap_at_the_connection_level_counts_connections_bytes_and_packets()
    {
        var run = Feed("connection", maxSeries: 60_000);
        Assert.Equal(60_000, run.Gauge("network_connection_series"));
        Assert.Equal(40_000, run.Gauge("network_connection_series_rejected_total"));
        Assert.Equal((20_000 * SyntheticCluster.Ipv4ConnectionBytes) + (20_000 * SyntheticCluster.Ipv6ConnectionBytes), run.Gauge("network_connection_series_rejected_bytes_total"));
        Assert.Equal(80_000, run.Gauge("network_connection_series_rejected_packets_total"));
        Assert.Equal(0, run.Gauge("network_connection_series_merged_total"));
    }

    [Fact]
    public async Task The_pod_pair_exposition_passes_promtool()
    {
        var run = Feed("pod_pair", maxSeries: 100_000);
        var (exit, findings) = await ReplayCommandTests.PromtoolCheckAsync(run.Text);
        Assert.True(exit == 0 && findings.Length == 0, $"promtool: {findings}");
    }
}
