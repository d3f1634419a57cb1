using System.Net;
using System.Net.Sockets;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Net;
using FlowExporter.Ipfix;
using FlowExporter.LabTests.Support;
using FlowExporter.Sources;
using FlowExporter.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>Collectors absent, coming back, or not reading: what is counted, and that nothing waits on them.</summary>
[Trait("Category", "Lab")]
[Collection("ipfix-collectors")]
public sealed class IpfixFaultTests
{
    private static readonly string PcapDirectory = Path.Combine(AppContext.BaseDirectory, "fixtures", "ipfix-pcap");

    private static FlowRecord Record(int packets) => new(
        0, IpProtocol.Udp, IpAddress.Parse("10.0.0.9"), 5000, IpAddress.Parse("10.0.0.1"), 53, 1_000_000_000, 2_000_000_000,
        new FlowCounts(100, 114, (ulong)packets, 0), new FlowCounts(0, 0, 0, 0), 0, FlowEndReason.IdleTimeout, InitiatorEvidence.Port, 0);

    private static (IpfixExporter Exporter, CollectorRegistry Registry) Exporter(
        string collector, int queueSize = 1000, TimeSpan? sendTimeout = null, Func<IMetricFactory, SourceHealth>? health = null)
    {
        var registry = Metrics.NewCustomRegistry();
        var options = new IpfixOptions
        {
            Collectors = [IpfixCollectorAddress.Parse("test", collector)],
            QueueSize = queueSize,
            SendTimeout = sendTimeout ?? TimeSpan.FromSeconds(1),
        };
        var factory = Metrics.WithCustomRegistry(registry);
        var exporter = new IpfixExporter(
            options, new FlowRecordNamer("lab-node", null, _ => "eth0"), new IpfixMetrics(factory), TimeProvider.System, NullLoggerFactory.Instance, health: health?.Invoke(factory));
        return (exporter, registry);
    }

    private static async Task<double> CountAsync(CollectorRegistry registry, string result)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Exposition.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()))
            .Named("flowexporter_ipfix_records_total")
            .Where(s => s.Label("result") == result)
            .Sum(s => s.Value);
    }

    private static async Task<double> GaugeAsync(CollectorRegistry registry, string name)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Exposition.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray())).Named(name).Single().Value;
    }

    [Fact]
    public async Task A_udp_collector_not_listening_loses_nothing_in_the_exporter()
    {
        var port = UdpPorts.Free();
        var result = await Lab.ProcessRunner.CheckAsync(
            LabExporter.Executable, ["replay", Path.Combine(PcapDirectory, "dns-udp-many-flows.pcap"), "--ipfix", $"udp://127.0.0.1:{port}"], TimeSpan.FromSeconds(60));
        var records = Exposition.Parse(result.StandardOutput).Named("flowexporter_ipfix_records_total").ToList();
        Assert.Equal(10, records.Single(s => s.Label("result") == "sent").Value); // ten connections (nine address pairs)
        Assert.All(records.Where(s => s.Label("result") != "sent"), s => Assert.Equal(0, s.Value));
    }

    [Fact]
    public async Task A_tcp_collector_not_listening_counts_records_dropped()
    {
        var port = UdpPorts.FreeTcp();
        var result = await Lab.ProcessRunner.CheckAsync(
            LabExporter.Executable, ["replay", Path.Combine(PcapDirectory, "dns-udp-many-flows.pcap"), "--ipfix", $"tcp://127.0.0.1:{port}"], TimeSpan.FromSeconds(60));
        var records = Exposition.Parse(result.StandardOutput).Named("flowexporter_ipfix_records_total").ToList();
        Assert.Equal(10, records.Single(s => s.Label("result") == "not_connected").Value);
        Assert.Equal(0, records.Single(s => s.Label("result") == "sent").Value);
        Assert.Equal(0, Exposition.Parse(result.StandardOutput).Named("flowexporter_ipfix_collector_up").Single().Value);
    }

    [Fact]
    public async Task A_tcp_collector_that_comes_back_gets_the_templates_and_the_records_after_that()
    {
        var port = UdpPorts.FreeTcp();
        var (exporter, registry) = Exporter($"tcp://127.0.0.1:{port}");
        await using var _ = exporter;
        exporter.Start();
        exporter.Emit(Record(1));
        await UdpPorts.WaitUntilAsync(() => CountAsync(registry, "not_connected").Result == 1, TimeSpan.FromSeconds(10), "the record dropped while down");

        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Keep offering records until the exporter's backoff reconnects; from then on, every record arrives.
        var accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
        while (!accept.IsCompleted)
        {
            exporter.Emit(Record(2));
            await Task.WhenAny(accept, Task.Delay(100, timeout.Token));
        }

        using var client = await accept;
        var before = await CountAsync(registry, "sent");
        for (var i = 0; i < 50; i++)
        {
            exporter.Emit(Record(3));
        }

        var (_, records) = await IpfixStreamReader.ReadAsync(client.GetStream(), (int)before + 50, timeout.Token);
        Assert.Equal(50, records.Count(r => r.Packets == 3));
        Assert.All(records, r => Assert.Equal((ushort)256, r.Template));
        await UdpPorts.WaitUntilAsync(() => CountAsync(registry, "sent").Result >= before + 50, TimeSpan.FromSeconds(10), "sent counted");
        Assert.Equal(1, await GaugeAsync(registry, "flowexporter_ipfix_collector_up"));
    }

    [Fact]
    public async Task A_collector_down_is_an_ipfix_instance_down_with_its_errors_but_does_not_hold_the_node_unready()
    {
        var port = UdpPorts.FreeTcp();
        SourceHealth? health = null;
        var (exporter, registry) = Exporter($"tcp://127.0.0.1:{port}", health: factory => health = new SourceHealth(factory));
        await using var _ = exporter;
        var instance = exporter.Options.Collectors[0].ToString();
        Assert.Equal([instance], health!.Instances("ipfix"));
        exporter.Start();
        exporter.Emit(Record(1));
        await UdpPorts.WaitUntilAsync(() => CountAsync(registry, "not_connected").Result == 1, TimeSpan.FromSeconds(10), "the record dropped while down");

        Assert.False(health.IsUp("ipfix", instance));
        Assert.True(health.IsUp("ipfix")); // the sink runs; a collector down loses records (counted), not the node's series
        Assert.DoesNotContain(health.NotReady(), s => s.Source == "ipfix");
        using (var stream = new MemoryStream())
        {
            await registry.CollectAndExportAsTextAsync(stream);
            var exposition = Exposition.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            Assert.Equal(0, exposition.Named("flowexporter_source_instance_up").Single(s => s.Label("source") == "ipfix").Value);
            Assert.True(exposition.Named("flowexporter_source_errors_total").Single(s => s.Label("source") == "ipfix" && s.Label("reason") == "connect_failed").Value >= 1);
        }

        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
        while (!accept.IsCompleted)
        {
            exporter.Emit(Record(2));
            await Task.WhenAny(accept, Task.Delay(100, timeout.Token));
        }

        using var client = await accept;
        await UdpPorts.WaitUntilAsync(() => health.IsUp("ipfix", instance), TimeSpan.FromSeconds(10), "the instance up after the collector came back");
        Assert.True(health.IsUp("ipfix"));
    }

    [Fact]
    public async Task A_tcp_collector_that_stops_reading_fills_the_bounded_queue_and_drops_are_counted()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (exporter, registry) = Exporter($"tcp://127.0.0.1:{port}", queueSize: 1000, sendTimeout: TimeSpan.FromMilliseconds(300));
        await using var _ = exporter;
        exporter.Start();
        exporter.Emit(Record(1)); // the first record makes it connect
        using var stalled = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // The collector never reads: socket buffers fill, sends time out, the queue fills and records are dropped,
        // while Emit (the capture path) never waits.
        var emitted = 1; // the one that made it connect
        while (await CountAsync(registry, "queue_full") == 0 || await CountAsync(registry, "send_failed") == 0)
        {
            for (var i = 0; i < 20_000; i++)
            {
                exporter.Emit(Record(1));
                emitted++;
            }

            Assert.True(await GaugeAsync(registry, "flowexporter_ipfix_queue_records") <= 1000);
            await Task.Delay(50);
            Assert.True(emitted < 50_000_000, "no drops counted");
        }

        var sent = await CountAsync(registry, "sent");
        var dropped = await CountAsync(registry, "queue_full") + await CountAsync(registry, "send_failed") + await CountAsync(registry, "not_connected");
        Assert.True(dropped > 0);
        Assert.True(sent + dropped <= emitted);
    }
}
