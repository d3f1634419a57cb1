using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Soak;

/// <summary>
/// The load and soak benchmark (bench/soak/run.sh) in bounded modes, asserting behaviour only: scrapes per second,
/// latency and memory are figures the script prints, never asserted here.
/// </summary>
[Trait("Category", "Lab")]
[Collection(SoakCollection.Name)]
public sealed class LoadAndSoakTests
{
    private static readonly string[] Tools = ["ip", "curl", "tcpdump", "tshark", "iperf3", "wrk", "gcc", "bash"];

    [Fact]
    public async Task Churn_above_turnover_holds_the_cap_counts_every_eviction_and_an_iperf3_transfer_to_the_byte()
    {
        LabPrerequisites.Require(Tools);
        const int Max = 10_000;

        // 1,500 new connections a second against a table of 10,000 with a 20 s idle timeout (turnover 500 a second).
        using var run = await BenchmarkRun.RunAsync(
            "soak",
            ["--seconds", "75", "--rate", "1500", "--max", $"{Max}", "--timeout", "20", "--interval", "2", "--warmup", "20", "--iperf-bytes", "50M"],
            TimeSpan.FromMinutes(6));
        var samples = SoakSample.Read(Path.Combine(run.Directory, "samples.tsv"));
        Assert.True(samples.Count >= 2, run.Output);

        // At every sample: the cap held, and the books balance (opened minus closed by every reason is what is in the
        // table, summed over protocols, and equals the table's own count).
        Assert.All(samples, s =>
        {
            Assert.Equal(Max, s.TrackedMax);
            Assert.True(s.Tracked <= Max, $"t={s.Seconds}: {s.Tracked} tracked");
            Assert.Equal(s.Active, s.Opened - s.Closed);
            Assert.Equal(s.Tracked, s.Active);
            Assert.Equal(0, s.SeriesRejected);
        });
        Assert.Contains(samples, s => s.Tracked == Max);

        // The last sample is after the drain: the table is empty and every connection has left once, by the reason its
        // traffic implies. Every generated connection (plus iperf3's control and data connections) was opened, none
        // dropped; the TCP ones left by FIN or RST, the never-closed UDP ones by eviction or the idle timeout.
        var last = samples[^1];
        var fin = run.Number("gen_connections_tcp_fin");
        var rst = run.Number("gen_connections_tcp_rst");
        var udp = run.Number("gen_connections_udp");
        Assert.Equal(0, last.Tracked);
        Assert.Equal(0, last.Dropped);
        Assert.Equal(fin + rst + udp + 2, last.Opened);
        Assert.Equal(last.Opened, last.Closed);
        Assert.Equal(fin + rst + 2, last.ClosedFin + last.ClosedRst);
        Assert.Equal(udp, last.ClosedEvicted + last.ClosedTimeout);
        Assert.True(last.ClosedEvicted > 0, "the churn outran the timeout, so the cap forced evictions");
        Assert.True(last.ClosedTimeout > 0, "the drain ended by timeouts");

        // The iperf3 transfer during the churn: each direction of its two connections, as the exporter last showed
        // it, equals an independent tcpdump capture of port 5201 in wire bytes and frames, unless the exporter
        // reported kernel drops that account for the difference.
        var tcpdump = run.Figure("tcpdump");
        Assert.Contains(", 0 packets dropped by kernel", tcpdump, StringComparison.Ordinal);
        var directions = run.Figures["iperf3_direction"].Select(IperfDirection.Parse).ToList();
        Assert.Equal(4, directions.Count);
        var exporterDrops = run.Number("final_kernel_dropped");
        foreach (var d in directions)
        {
            Assert.True(
                d.Exact || (exporterDrops > 0 && d.TcpdumpFrames - (d.ExporterPackets ?? 0) <= exporterDrops),
                $"{d} with {exporterDrops} kernel drops reported\n{run.Output}");
        }

        Assert.True(directions.Max(d => d.TcpdumpBytes) > 50L * 1024 * 1024, "the data connection carried the transfer");
    }

    [Fact]
    public async Task Ten_concurrent_scrapers_on_a_full_table_all_get_200s_while_capture_counts_every_frame()
    {
        LabPrerequisites.Require(Tools);
        const int Connections = 20_000;
        using var run = await BenchmarkRun.RunAsync(
            "load",
            ["--connections", $"{Connections}", "--pps", "2000", "--seconds", "10"],
            TimeSpan.FromMinutes(5));

        Assert.Equal(Connections, run.Number("connections_tracked"));
        Assert.Equal(Connections, run.Number("connections_tracked_after"));
        Assert.True(run.Number("wrk_requests") > 0, run.Output);
        Assert.Equal(0, run.Number("wrk_non_2xx"));
        Assert.Equal(0, run.Number("wrk_socket_errors"));

        // Every frame the kernel handed over was counted, with and without scrapes: generated = captured + dropped.
        Assert.Equal(run.Number("baseline_generated_frames"), run.Number("baseline_captured_frames") + run.Number("baseline_kernel_dropped"));
        Assert.Equal(run.Number("scraped_generated_frames"), run.Number("scraped_captured_frames") + run.Number("scraped_kernel_dropped"));
    }
}
