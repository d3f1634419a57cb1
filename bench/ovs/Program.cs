using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Ovs;
using FlowExporter.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

// Cost per scrape of the OVS source in both modes against a live database (bench/ovs/run.sh sets one up).
// Usage: FlowExporter.Bench --db unix:PATH --ports N [--scrapes 200] [--collections 10]
var arguments = args.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => x.i);
string Arg(string name, string fallback) => arguments.TryGetValue(name, out var i) && i + 1 < args.Length ? args[i + 1] : fallback;
var db = Arg("--db", "unix:/var/run/openvswitch/db.sock");
var expectedPorts = int.Parse(Arg("--ports", "1000"), CultureInfo.InvariantCulture);
var scrapes = int.Parse(Arg("--scrapes", "200"), CultureInfo.InvariantCulture);
var collections = int.Parse(Arg("--collections", "10"), CultureInfo.InvariantCulture);

var registry = Metrics.NewCustomRegistry();
var health = new SourceHealth(Metrics.WithCustomRegistry(registry));
var baseOptions = OvsOptions.Defaults(OvsMode.Ovsdb, db) with { Timeout = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(30) };

// OVSDB monitor mode: one session; a scrape only writes the last snapshot.
var monitor = new OvsdbMonitorSource(baseOptions, "bench-node", health, TimeProvider.System, NullLogger<OvsdbMonitorSource>.Instance);
var connectWatch = Stopwatch.StartNew();
await monitor.StartAsync(CancellationToken.None);
while ((monitor.Latest?.Interfaces.Count ?? 0) < expectedPorts)
{
    if (connectWatch.Elapsed > TimeSpan.FromSeconds(60))
    {
        Console.Error.WriteLine($"monitor: only {monitor.Latest?.Interfaces.Count ?? 0} of {expectedPorts} interfaces after 60s");
        return 1;
    }

    await Task.Delay(10);
}

var initialSync = connectWatch.Elapsed;
var childrenBefore = ChildProcesses();
var spawnedDuring = 0;
var (monitorTimes, monitorAlloc, monitorBytes) = MeasureScrapes(monitor, scrapes);
for (var i = 0; i < 20; i++)
{
    monitor.Write(new ExpositionWriter(new ArrayBufferWriter<byte>(), FlowExporter.Correlator.Exposition.ExpositionFormat.PrometheusText));
    spawnedDuring = Math.Max(spawnedDuring, ChildProcesses() - childrenBefore);
}

var updatesBefore = monitor.UpdatesApplied;
var updateWatch = Stopwatch.StartNew();
while (monitor.UpdatesApplied == updatesBefore && updateWatch.Elapsed < TimeSpan.FromSeconds(7))
{
    await Task.Delay(5);
}

var updateSeen = monitor.UpdatesApplied > updatesBefore;
var updateWait = updateWatch.Elapsed;

// Cost of applying one statistics update from vswitchd and rebuilding the snapshot (off the scrape path): the source
// reports it as its collection duration.
var updateCost = HealthValue(await HealthText(registry), "flowexporter_source_collection_duration_seconds{source=\"ovs\"}") * 1000;
// The pure cost of one statistics refresh for every interface (what vswitchd sends every few seconds under traffic):
// apply a table-updates message that rewrites all Interface rows, then rebuild the snapshot.
var synthetic = SyntheticStatisticsUpdate(monitor.Latest!);
var model = new FlowExporter.Correlator.Ovs.OvsDatabase();
using (var initial = System.Text.Json.JsonDocument.Parse(SyntheticTopology(monitor.Latest!)))
{
    model.ApplyTableUpdates(initial.RootElement);
}

using (var initial = System.Text.Json.JsonDocument.Parse(synthetic))
{
    model.ApplyTableUpdates(initial.RootElement);
}

var applyTimes = new List<double>();
for (var i = 0; i < 20; i++)
{
    var start = Stopwatch.GetTimestamp();
    using var update = System.Text.Json.JsonDocument.Parse(synthetic);
    model.ApplyTableUpdates(update.RootElement);
    if (model.ToSnapshot().Interfaces.Count != monitor.Latest!.Interfaces.Count)
    {
        Console.Error.WriteLine("synthetic model does not match");
        return 1;
    }

    applyTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

await monitor.StopAsync(CancellationToken.None);

// vsctl mode: one ovs-vsctl per collection.
var vsctl = new VsctlOvsSource(baseOptions with { Mode = OvsMode.Vsctl }, "bench-node", health, TimeProvider.System, NullLogger<VsctlOvsSource>.Instance);
var collectionTimes = new List<double>();
for (var i = 0; i < collections; i++)
{
    var watch = Stopwatch.StartNew();
    if (!await vsctl.CollectOnceAsync(CancellationToken.None))
    {
        Console.Error.WriteLine("vsctl: collection failed");
        return 1;
    }

    collectionTimes.Add(watch.Elapsed.TotalMilliseconds);
}

var (vsctlTimes, vsctlAlloc, vsctlBytes) = MeasureScrapes(vsctl, scrapes);

Console.WriteLine($"OVS source, {monitor.Latest?.Interfaces.Count ?? vsctl.Latest!.Interfaces.Count} interfaces ({expectedPorts} dummy ports + bridge), {Environment.ProcessorCount} cores");
Console.WriteLine($"ovsdb monitor mode: initial sync (connect + monitor reply + snapshot) {initialSync.TotalMilliseconds:0.0} ms; " +
    (updateSeen
        ? $"an update notification came after {updateWait.TotalSeconds:0.0} s; applying it + rebuilding the snapshot took {updateCost:0.0} ms"
        : $"no update notification within {updateWait.TotalSeconds:0.0} s (idle dummy ports: statistics unchanged)"));
Console.WriteLine($"  scrape (write series from snapshot): median {Percentile(monitorTimes, 50):0.000} ms, p99 {Percentile(monitorTimes, 99):0.000} ms, {monitorAlloc / 1024.0:0.0} KiB allocated/scrape, {monitorBytes / 1024.0:0.0} KiB exposition, processes spawned during scrapes: {spawnedDuring}");
Console.WriteLine($"  statistics update for all interfaces ({synthetic.Length / 1024} KiB JSON): parse + apply + snapshot rebuild median {Percentile(applyTimes, 50):0.0} ms (background, not per scrape)");
Console.WriteLine($"vsctl mode:");
Console.WriteLine($"  collection (spawn ovs-vsctl + parse): median {Percentile(collectionTimes, 50):0.0} ms, max {collectionTimes.Max():0.0} ms over {collections} collections (1 process each)");
Console.WriteLine($"  scrape (write series from snapshot): median {Percentile(vsctlTimes, 50):0.000} ms, p99 {Percentile(vsctlTimes, 99):0.000} ms, {vsctlAlloc / 1024.0:0.0} KiB allocated/scrape, {vsctlBytes / 1024.0:0.0} KiB exposition");
return 0;

static (List<double> Times, long AllocatedPerScrape, int Bytes) MeasureScrapes(IMetricsContributor source, int count)
{
    var buffer = new ArrayBufferWriter<byte>(1 << 20);
    for (var i = 0; i < 100; i++)
    {
        buffer.ResetWrittenCount();
        source.Write(new ExpositionWriter(buffer, FlowExporter.Correlator.Exposition.ExpositionFormat.PrometheusText));
    }

    var times = new List<double>(count);
    var allocated = GC.GetAllocatedBytesForCurrentThread();
    for (var i = 0; i < count; i++)
    {
        buffer.ResetWrittenCount();
        var start = Stopwatch.GetTimestamp();
        source.Write(new ExpositionWriter(buffer, FlowExporter.Correlator.Exposition.ExpositionFormat.PrometheusText));
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    var perScrape = (GC.GetAllocatedBytesForCurrentThread() - allocated) / count;
    return (times, perScrape, buffer.WrittenCount);
}

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}

static byte[] SyntheticTopology(FlowExporter.Correlator.Ovs.OvsSnapshot snapshot)
{
    var buffer = new ArrayBufferWriter<byte>();
    using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
    {
        w.WriteStartObject();
        w.WriteStartObject("Bridge");
        w.WriteStartObject("bridge-0");
        w.WriteStartObject("new");
        w.WriteString("name", "br0");
        w.WriteStartArray("ports");
        w.WriteStringValue("set");
        w.WriteStartArray();
        foreach (var sample in snapshot.Interfaces)
        {
            w.WriteStartArray();
            w.WriteStringValue("uuid");
            w.WriteStringValue("port-" + sample.Interface.Uuid);
            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("Port");
        foreach (var sample in snapshot.Interfaces)
        {
            w.WriteStartObject("port-" + sample.Interface.Uuid);
            w.WriteStartObject("new");
            w.WriteString("name", sample.Port);
            w.WriteStartArray("interfaces");
            w.WriteStringValue("uuid");
            w.WriteStringValue(sample.Interface.Uuid);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    return buffer.WrittenSpan.ToArray();
}

static byte[] SyntheticStatisticsUpdate(FlowExporter.Correlator.Ovs.OvsSnapshot snapshot)
{
    var buffer = new ArrayBufferWriter<byte>();
    using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
    {
        w.WriteStartObject();
        w.WriteStartObject("Interface");
        var n = 0L;
        foreach (var sample in snapshot.Interfaces)
        {
            var row = sample.Interface;
            w.WriteStartObject(row.Uuid);
            w.WriteStartObject("new");
            w.WriteString("name", row.Name);
            w.WriteString("type", row.Type);
            w.WriteNumber("ofport", row.OfPort ?? -1);
            w.WriteString("admin_state", "up");
            w.WriteString("link_state", "up");
            w.WriteStartArray("external_ids");
            w.WriteStringValue("map");
            w.WriteStartArray();
            w.WriteStartArray();
            w.WriteStringValue("iface-id");
            w.WriteStringValue("ns_" + row.Name);
            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteStartArray("statistics");
            w.WriteStringValue("map");
            w.WriteStartArray();
            foreach (var key in new[] { "collisions", "rx_bytes", "rx_crc_err", "rx_dropped", "rx_errors", "rx_frame_err", "rx_over_err", "rx_packets", "tx_bytes", "tx_dropped", "tx_errors", "tx_packets" })
            {
                w.WriteStartArray();
                w.WriteStringValue(key);
                w.WriteNumberValue(++n * 1000);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    return buffer.WrittenSpan.ToArray();
}

static async Task<string> HealthText(CollectorRegistry registry)
{
    using var stream = new MemoryStream();
    await registry.CollectAndExportAsTextAsync(stream);
    return System.Text.Encoding.UTF8.GetString(stream.ToArray());
}

static double HealthValue(string text, string series)
{
    var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
    return line is null ? double.NaN : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
}

static int ChildProcesses()
{
    var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    var count = 0;
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[1] == self)
            {
                count++;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    return count;
}
