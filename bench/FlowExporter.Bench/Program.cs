using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FlowExporter.Capture;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using FlowExporter.Http;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace FlowExporter.Bench;

/// <summary>Capture-path benchmarks; each subcommand prints "name: value unit" lines.</summary>
internal static unsafe class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: bench generate FILE [packets] [connections] | pipeline FILE [connection|endpoint|pod_pair|workload_pair] [--raw RAWLOOP] | libpcap FILE | sharppcap-read FILE | packetdotnet FILE | render CONNECTIONS [CASE] | scale-capture DIR NODES [PODS_PER_NODE] [SECONDS] | points-latency [LINKS]");
            return 2;
        }

        switch (args[0])
        {
            case "generate":
                var packets = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 2_000_000;
                var connections = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50_000;
                var (written, started) = CaptureGenerator.Generate(args[1], packets, connections);
                Console.WriteLine($"generated: {written} packets, {started} connections -> {args[1]}");
                return 0;
            case "ipfix-pipeline":
                return IpfixPipelineBench.Run(args[1]);
            case "points-latency":
                return PointsLatencyBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100);
            case "scale-capture":
                try
                {
                    ScaleCaptureGenerator.Generate(
                        args[1],
                        int.Parse(args[2], CultureInfo.InvariantCulture),
                        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20,
                        args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 10,
                        Console.Out);
                }
                catch (ArgumentException error)
                {
                    Console.Error.WriteLine($"usage: {error.Message}");
                    return 2;
                }

                return 0;
            case "pipeline":
                var rawAt = Array.IndexOf(args, "--raw");
                var rawLoop = rawAt > 0 && rawAt + 1 < args.Length ? args[rawAt + 1] : null;
                Pipeline(args[1], args.Length > 2 && args[2] != "--raw" ? ParseLevel(args[2]) : AggregationLevel.Connection, rawLoop);
                return 0;
            case "libpcap":
                LibPcapPipeline(args[1]);
                return 0;
            case "sharppcap-read":
                SharpPcapRead(args[1]);
                return 0;
            case "packetdotnet":
                PacketDotNetParse(args[1]);
                return 0;
            case "render":
                Render(int.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? args[2] : null);
                return 0;
            default:
                Console.Error.WriteLine($"unknown benchmark {args[0]}");
                return 2;
        }
    }

    private static AggregationLevel ParseLevel(string text) => text switch
    {
        "connection" => AggregationLevel.Connection,
        "endpoint" => AggregationLevel.Endpoint,
        "pod_pair" => AggregationLevel.PodPair,
        "workload_pair" => AggregationLevel.WorkloadPair,
        _ => throw new ArgumentException($"unknown aggregation level {text}"),
    };

    /// <summary>
    /// For the pod and workload levels: an index that names every address in the file as one of 1,000 pods (in 50
    /// workloads), so that every connection open does its two lookups and interns both ends.
    /// </summary>
    private static EndpointIndex IndexFor(string path)
    {
        var decoder = new FrameDecoder(DecoderOptions.Default);
        var addresses = new HashSet<Correlator.Net.IpAddress>();
        var packet = default(DecodedPacket);
        using (var stream = File.OpenRead(path))
        {
            var reader = CaptureFileReader.Open(stream);
            while (reader.TryReadNext(out var frame))
            {
                if (decoder.Decode(frame.LinkType, frame.Data, ref packet) == DecodeResult.Ip)
                {
                    addresses.Add(packet.Source);
                    addresses.Add(packet.Destination);
                }
            }
        }

        var builder = new EndpointIndexBuilder();
        var i = 0;
        foreach (var address in addresses)
        {
            var pod = i++ % 1000;
            builder.AddPod(BenchPod(pod), [address]);
        }

        return builder.Build();
    }

    /// <summary>Pod number N of the benchmarks' 1,000 pods: 5 namespaces, 4 nodes, 50 workloads of 20 pods.</summary>
    private static NetworkEndpoint BenchPod(int pod) =>
        new NetworkEndpoint($"ns-{pod / 200}", $"pod-{pod}", $"node-{pod % 4}", WorkloadKinds.Deployment, $"wl-{pod / 20}", HostNetwork: false, EndpointSource.Kubernetes);

    /// <param name="quality">Quality on (the exporter's default: its series at the default aggregation level), or off.</param>
    private static (CapturePipeline Pipeline, ConnectionSeriesStore Series, QualityTracker? Quality) NewPipeline(
        int maxConnections = 200_000, AggregationLevel level = AggregationLevel.Connection, EndpointIndex? index = null, bool quality = true)
    {
        var engine = new CaptureEngine(new CaptureEngineOptions
        {
            Node = "node-0",
            Connections = new ConnectionTrackerOptions { MaxConnections = maxConnections, Aggregation = level },
            MaxSeries = maxConnections,
            Quality = quality ? new QualityOptions() : QualityOptions.Disabled,
            Endpoints = index is null ? null : () => index,
        });
        return (engine.Pipeline, engine.Series, engine.Quality);
    }

    /// <summary>
    /// The exporter's file path: our reader, decoder, connection table and series (best of the runs), with connection
    /// quality on (the default) and off, alternating, so that both figures come from the same minutes. With the raw C
    /// loop (<paramref name="rawLoop"/>), each round runs it just before the pipeline and prints the round's ratios:
    /// this machine's speed drifts by tens of percent within a minute, so only figures taken seconds apart compare.
    /// </summary>
    private static void Pipeline(string path, AggregationLevel level, string? rawLoop)
    {
        var index = level is AggregationLevel.PodPair or AggregationLevel.WorkloadPair ? IndexFor(path) : null;
        var on = new PipelineRun();
        var off = new PipelineRun();
        var onRatios = new List<double>();
        var offRatios = new List<double>();
        var rounds = rawLoop is null ? 3 : 5;

        // One unmeasured run of each first: the first runs in a process are partly compiled by the JIT's first tier.
        new PipelineRun().Measure(path, level, index, quality: true);
        new PipelineRun().Measure(path, level, index, quality: false);
        for (var run = 0; run < rounds; run++)
        {
            var raw = rawLoop is null ? 0 : RawLoopRate(rawLoop, path);
            var onRate = on.Measure(path, level, index, quality: true);
            var offRate = off.Measure(path, level, index, quality: false);
            if (rawLoop is not null)
            {
                onRatios.Add(onRate / raw);
                offRatios.Add(offRate / raw);
                Console.WriteLine(
                    $"round_{run + 1}: raw_c_pcap_next_ex {raw:0}, pipeline quality on {onRate:0} ({onRate / raw:0.00} of raw), quality off {offRate:0} ({offRate / raw:0.00} of raw)");
            }
        }

        if (rawLoop is not null)
        {
            Console.WriteLine($"pipeline_to_raw_ratio_median: {Median(onRatios):0.00} (connection quality on; {rounds} rounds, each raw loop just before its pipeline runs)");
            Console.WriteLine($"pipeline_quality_off_to_raw_ratio_median: {Median(offRatios):0.00}");
        }

        Console.WriteLine($"aggregation: {level}");
        on.Print("pipeline", "connection quality on, the default");
        off.Print("pipeline_quality_off", "connection quality off");
        SteadyStateAllocation(path, level, index);
    }

    /// <summary>Runs the raw C loop (bench/capture/rawloop.c: the best of its 3 reads of the file) and returns its rate.</summary>
    private static double RawLoopRate(string rawLoop, string path)
    {
        var start = new ProcessStartInfo(rawLoop, [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {rawLoop}");
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        const string Name = "raw_c_pcap_next_ex_packets_per_second:";
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Name, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{rawLoop} printed no rate: {output}");
        return double.Parse(line[Name.Length..], CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The best rate of a pipeline's runs and the figures of its last run.</summary>
    private sealed class PipelineRun
    {
        private double _best;
        private long _packets;
        private long _allocated;
        private long _connections;
        private long _qualitySeries;
        private long _tableBytes;
        private long _seriesBytes;
        private long _qualityBytes;

        /// <summary>Runs the pipeline over the file once; returns this run's rate.</summary>
        public double Measure(string path, AggregationLevel level, EndpointIndex? index, bool quality)
        {
            var (pipeline, series, engineQuality) = NewPipeline(level: level, index: index, quality: quality);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            var reader = CaptureFileReader.Open(stream);
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var stopwatch = Stopwatch.StartNew();
            _packets = pipeline.ProcessAll(reader);
            stopwatch.Stop();
            _allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            _best = Math.Max(_best, _packets / stopwatch.Elapsed.TotalSeconds);
            _connections = pipeline.Tracker.Count;
            _qualitySeries = engineQuality?.Store.Count ?? 0;
            _tableBytes = pipeline.Tracker.ApproximateBytes();
            _seriesBytes = series.ApproximateBytes();
            _qualityBytes = engineQuality?.Store.ApproximateBytes() ?? 0;
            return _packets / stopwatch.Elapsed.TotalSeconds;
        }

        public void Print(string name, string what)
        {
            var perConnection = Math.Max(1, _connections);
            Console.WriteLine($"{name}_packets_per_second: {_best:0} ({what})");
            Console.WriteLine($"{name}_packets: {_packets}");
            Console.WriteLine($"{name}_allocated_bytes_per_packet: {(double)_allocated / _packets:0.000} (all allocation of a run, including the table growing; steady state below)");
            Console.WriteLine($"{name}_tracked_connections: {_connections}");
            Console.WriteLine($"{name}_quality_series: {_qualitySeries}");
            Console.WriteLine(
                $"{name}_memory_bytes_per_tracked_connection: {(_tableBytes + _seriesBytes + _qualityBytes) / perConnection} (connection table {_tableBytes / perConnection}, "
                + $"connection series {_seriesBytes / perConnection}, quality series {_qualityBytes / perConnection}; all arrays at their grown size)");
        }
    }

    /// <summary>Replays the file a second time into the same (already grown) table: allocation per packet in steady state.</summary>
    private static void SteadyStateAllocation(string path, AggregationLevel level, EndpointIndex? index)
    {
        var (pipeline, _, _) = NewPipeline(level: level, index: index);
        using (var first = File.OpenRead(path))
        {
            pipeline.ProcessAll(CaptureFileReader.Open(first));
        }

        using var stream = File.OpenRead(path);
        var reader = CaptureFileReader.Open(stream);
        reader.TryReadNext(out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        long packets = 0;
        while (reader.TryReadNext(out var frame))
        {
            pipeline.Process(0, frame);
            packets++;
        }

        var after = GC.GetAllocatedBytesForCurrentThread();
        Console.WriteLine($"steady_state_allocated_bytes_per_packet: {(double)(after - before) / packets:0.000}");
    }

    private static CapturePipeline? _callbackPipeline;

    /// <summary>The live path's per-packet part: libpcap reads (pcap_dispatch on SharpPcap's handle) into the pipeline.</summary>
    private static void LibPcapPipeline(string path)
    {
        double best = 0;
        long packets = 0;
        for (var run = 0; run < 3; run++)
        {
            var (pipeline, _, _) = NewPipeline();
            _callbackPipeline = pipeline;
            using var device = new CaptureFileReaderDevice(path);
            device.Open();
            var handle = device.Handle.DangerousGetHandle();
            var stopwatch = Stopwatch.StartNew();
            packets = 0;
            int count;
            while ((count = LibPcapNative.Dispatch(handle, 4096, &OnFrame, 0)) > 0)
            {
                packets += count;
            }

            stopwatch.Stop();
            best = Math.Max(best, packets / stopwatch.Elapsed.TotalSeconds);
        }

        Console.WriteLine($"libpcap_dispatch_pipeline_packets_per_second: {best:0}");
    }

    [UnmanagedCallersOnly]
    private static void OnFrame(nint user, LibPcapNative.PacketHeader* header, byte* data)
    {
        var nanoseconds = ((long)header->Seconds * 1_000_000_000L) + ((long)header->Microseconds * 1_000L);
        var frame = new CapturedFrame(0, LinkType.Ethernet, nanoseconds, (int)header->Length, new ReadOnlySpan<byte>(data, (int)header->CaptureLength));
        _callbackPipeline!.Process(0, frame);
    }

    /// <summary>SharpPcap's own per-packet read (GetNextPacket), counting wire bytes: its raw cost.</summary>
    private static void SharpPcapRead(string path)
    {
        double best = 0;
        for (var run = 0; run < 3; run++)
        {
            using var device = new CaptureFileReaderDevice(path);
            device.Open();
            long packets = 0;
            long bytes = 0;
            var stopwatch = Stopwatch.StartNew();
            while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
            {
                packets++;
                bytes += ((PcapHeader)capture.Header).PacketLength;
            }

            stopwatch.Stop();
            best = Math.Max(best, packets / stopwatch.Elapsed.TotalSeconds);
            GC.KeepAlive(bytes);
        }

        Console.WriteLine($"sharppcap_read_packets_per_second: {best:0}");
    }

    /// <summary>SharpPcap + PacketDotNet parsing each packet into a dictionary of 5-tuples: the library decoder's cost.</summary>
    private static void PacketDotNetParse(string path)
    {
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        var flows = new Dictionary<(System.Net.IPAddress, System.Net.IPAddress, ushort, ushort, byte), long>();
        long packets = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
        {
            packets++;
            var raw = capture.GetPacket();
            var packet = Packet.ParsePacket(raw.LinkLayerType, raw.Data);
            if (packet.Extract<IPPacket>() is { } ip && packet.Extract<TransportPacket>() is { } transport)
            {
                var key = (ip.SourceAddress, ip.DestinationAddress, transport.SourcePort, transport.DestinationPort, (byte)ip.Protocol);
                flows[key] = flows.GetValueOrDefault(key) + raw.PacketLength;
            }
        }

        stopwatch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Console.WriteLine($"packetdotnet_parse_packets_per_second: {packets / stopwatch.Elapsed.TotalSeconds:0}");
        Console.WriteLine($"packetdotnet_allocated_bytes_per_packet: {(double)allocated / packets:0}");
    }

    /// <summary>/metrics with N tracked connections: the whole exposition as a scrape renders it.</summary>
    /// <summary>
    /// The /metrics render of that many established TCP connections (each with its handshake), at the connection level,
    /// in four configurations: quality off; quality on at its default pod_pair level without metadata, where every
    /// connection's client address is its own pair (the worst case: one quality series per connection); and both with
    /// metadata naming the addresses as 1,000 pods (every connection series then carries pod labels too).
    /// </summary>
    /// <param name="only">One case by name (for profiling), or all four.</param>
    private static void Render(int connections, string? only)
    {
        var pods = PodsFor(connections);
        (string Name, bool Quality, EndpointIndex? Index)[] cases =
        [
            ("quality_off", false, null),
            ("quality_per_connection", true, null),
            ("quality_off_1000_pods", false, pods),
            ("quality_1000_pods", true, pods),
        ];
        foreach (var (name, quality, index) in cases.Where(c => only is null || c.Name == only))
        {
            RenderCase(connections, name, quality, index);
        }
    }

    private static Correlator.Net.IpAddress Client(int i) => Correlator.Net.IpAddress.FromV4((uint)(0x0A000000 | i));

    private static Correlator.Net.IpAddress Server(int i) => Correlator.Net.IpAddress.FromV4(0xC0A80001u + (uint)(i % 64));

    /// <summary>The render bench's addresses as 1,000 pods in 50 workloads (the servers are pods too).</summary>
    private static EndpointIndex PodsFor(int connections)
    {
        var builder = new EndpointIndexBuilder();
        var pods = new List<Correlator.Net.IpAddress>[1000];
        for (var i = 0; i < pods.Length; i++)
        {
            pods[i] = [];
        }

        for (var i = 0; i < connections; i++)
        {
            pods[i % 1000].Add(Client(i));
        }

        for (var i = 0; i < 64; i++)
        {
            pods[i].Add(Server(i));
        }

        for (var pod = 0; pod < pods.Length; pod++)
        {
            builder.AddPod(BenchPod(pod), pods[pod]);
        }

        return builder.Build();
    }

    private static void RenderCase(int connections, string name, bool quality, EndpointIndex? index)
    {
        var (pipeline, series, qualityTracker) = NewPipeline(connections + 10, index: index, quality: quality);
        for (var i = 0; i < connections; i++)
        {
            var port = (ushort)(32768 + (i % 28000));
            var time = 1_000_000_000L + (i * 100_000L);
            Segment(pipeline, Client(i), port, Server(i), 443, TcpFlags.Syn, 1000, 0, time);
            Segment(pipeline, Server(i), 443, Client(i), port, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001, time + 30_000);
            Segment(pipeline, Client(i), port, Server(i), 443, TcpFlags.Ack, 1001, 5001, time + 60_000);
        }

        var snapshot = new ConnectionSnapshot();
        var writer = new ConnectionMetricsWriter("bench-node", SeriesNaming.Prometheus);
        var pool = new ExpositionBufferPool();
        foreach (var format in new[] { ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetrics })
        {
            var times = new List<double>();
            long bytes = 0;
            long allocated = 0;
            for (var run = 0; run < 7; run++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var stopwatch = Stopwatch.StartNew();
                using var buffer = new SegmentedBuffer(pool);
                snapshot.Capture(pipeline, series, qualityTracker);
                writer.Write(new ExpositionWriter(buffer, format), snapshot, ["veth0"], index);
                stopwatch.Stop();
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
                bytes = buffer.Length;
            }

            times.Sort();
            var formatName = format == ExpositionFormat.OpenMetrics ? "openmetrics" : "prometheus_text";
            var prefix = $"render_{formatName}_{connections}_connections_{name}";
            Console.WriteLine($"{prefix}_ms: median {times[times.Count / 2]:0.0}, max {times[^1]:0.0}");
            Console.WriteLine($"{prefix}_bytes: {bytes} (connection series {snapshot.Samples.Length}, quality series {snapshot.QualityCount})");
            Console.WriteLine($"{prefix}_allocated_bytes: {allocated} (the last of 7 renders, segments from the exporter's pool)");
        }

        GC.KeepAlive(ArrayPool<byte>.Shared);
    }

    private static void Segment(CapturePipeline pipeline, Correlator.Net.IpAddress source, ushort sourcePort, Correlator.Net.IpAddress destination, ushort destinationPort, TcpFlags flags, uint sequence, uint ack, long time)
    {
        var packet = new DecodedPacket
        {
            HasTcpHeader = true,
            TcpSequence = sequence,
            TcpAcknowledgement = ack,
            TcpWindow = 65535,
            Source = source,
            Destination = destination,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            Protocol = IpProtocol.Tcp,
            HasPorts = true,
            TcpFlags = flags,
        };
        pipeline.Tracker.Observe(0, packet, sourcePort, destinationPort, 74, time);
    }
}
