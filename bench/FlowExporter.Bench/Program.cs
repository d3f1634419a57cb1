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
            Console.Error.WriteLine("usage: bench generate FILE [packets] [connections] | pipeline FILE [connection|endpoint|pod_pair|workload_pair] | libpcap FILE | sharppcap-read FILE | packetdotnet FILE | render CONNECTIONS | scale-capture DIR NODES [PODS_PER_NODE] [SECONDS]");
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
            case "scale-capture":
                ScaleCaptureGenerator.Generate(
                    args[1],
                    int.Parse(args[2], CultureInfo.InvariantCulture),
                    args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20,
                    args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 10,
                    Console.Out);
                return 0;
            case "pipeline":
                Pipeline(args[1], args.Length > 2 ? ParseLevel(args[2]) : AggregationLevel.Connection);
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
                Render(int.Parse(args[1], CultureInfo.InvariantCulture));
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
            builder.AddPod(new NetworkEndpoint($"ns-{pod / 200}", $"pod-{pod}", $"node-{pod % 4}", WorkloadKinds.Deployment, $"wl-{pod / 20}", HostNetwork: false, EndpointSource.Kubernetes), [address]);
        }

        return builder.Build();
    }

    private static (CapturePipeline Pipeline, ConnectionSeriesStore Series) NewPipeline(int maxConnections = 200_000, AggregationLevel level = AggregationLevel.Connection, EndpointIndex? index = null)
    {
        var series = new ConnectionSeriesStore(maxConnections);
        var keys = new SeriesKeyFactory("node-0", index is null ? null : () => index);

        // Quality on, as the exporter runs by default (quality series at the default aggregation level).
        var qualityOptions = new QualityOptions();
        var quality = new QualityTracker(qualityOptions, new QualitySeriesStore(qualityOptions.MaxSeries), series);
        var tracker = new ConnectionTracker(new ConnectionTrackerOptions { MaxConnections = maxConnections, Aggregation = level }, series, keys, quality);
        return (new CapturePipeline(new FrameDecoder(DecoderOptions.Default), tracker, new FragmentTracker(4096, TimeSpan.FromSeconds(30))), series);
    }

    /// <summary>The exporter's file path: our reader, decoder, connection table and series (best of 3 runs).</summary>
    private static void Pipeline(string path, AggregationLevel level)
    {
        var index = level is AggregationLevel.PodPair or AggregationLevel.WorkloadPair ? IndexFor(path) : null;
        double best = 0;
        long packets = 0;
        long allocated = 0;
        long connections = 0;
        long tableBytes = 0;
        for (var run = 0; run < 3; run++)
        {
            var (pipeline, series) = NewPipeline(level: level, index: index);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            var reader = CaptureFileReader.Open(stream);

            // Warm the reader's buffer and the JIT, then measure steady state.
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var stopwatch = Stopwatch.StartNew();
            packets = pipeline.ProcessAll(reader);
            stopwatch.Stop();
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            best = Math.Max(best, packets / stopwatch.Elapsed.TotalSeconds);
            connections = pipeline.Tracker.Count;
            tableBytes = pipeline.Tracker.ApproximateBytes() + series.ApproximateBytes() + (pipeline.Tracker.Quality?.Store.ApproximateBytes() ?? 0);
        }

        Console.WriteLine($"aggregation: {level}");
        Console.WriteLine($"pipeline_packets_per_second: {best:0}");
        Console.WriteLine($"pipeline_packets: {packets}");
        Console.WriteLine($"pipeline_allocated_bytes_per_packet: {(double)allocated / packets:0.000} (all allocation of a run, including the table growing; steady state below)");
        Console.WriteLine($"tracked_connections: {connections}");
        Console.WriteLine($"memory_bytes_per_tracked_connection: {tableBytes / Math.Max(1, connections)} (connection table, series and quality stores, all their arrays at their grown size)");
        SteadyStateAllocation(path, level, index);
    }

    /// <summary>Replays the file a second time into the same (already grown) table: allocation per packet in steady state.</summary>
    private static void SteadyStateAllocation(string path, AggregationLevel level, EndpointIndex? index)
    {
        var (pipeline, _) = NewPipeline(level: level, index: index);
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
            var (pipeline, _) = NewPipeline();
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
    private static void Render(int connections)
    {
        var (pipeline, series) = NewPipeline(connections + 10);
        var packet = default(DecodedPacket);
        for (var i = 0; i < connections; i++)
        {
            packet = new DecodedPacket
            {
                Source = Correlator.Net.IpAddress.FromV4((uint)(0x0A000000 | i)),
                Destination = Correlator.Net.IpAddress.FromV4(0xC0A80001u + (uint)(i % 64)),
                SourcePort = (ushort)(32768 + (i % 28000)),
                DestinationPort = 443,
                Protocol = IpProtocol.Tcp,
                HasPorts = true,
                TcpFlags = TcpFlags.Syn,
            };
            pipeline.Tracker.Observe(0, packet, packet.SourcePort, packet.DestinationPort, 1514, 1_000_000_000L + i);
        }

        var snapshot = new ConnectionSnapshot();
        var writer = new ConnectionMetricsWriter("bench-node", SeriesNaming.Prometheus);
        foreach (var format in new[] { ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetrics })
        {
            var times = new List<double>();
            long bytes = 0;
            long allocated = 0;
            for (var run = 0; run < 7; run++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var stopwatch = Stopwatch.StartNew();
                using var buffer = new SegmentedBuffer();
                snapshot.Capture(pipeline, series);
                writer.Write(new ExpositionWriter(buffer, format), snapshot, ["veth0"]);
                stopwatch.Stop();
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
                bytes = buffer.Length;
            }

            times.Sort();
            var name = format == ExpositionFormat.OpenMetrics ? "openmetrics" : "prometheus_text";
            Console.WriteLine($"render_{name}_{connections}_connections_ms: median {times[times.Count / 2]:0.0}, max {times[^1]:0.0}");
            Console.WriteLine($"render_{name}_{connections}_connections_bytes: {bytes}");
            Console.WriteLine($"render_{name}_{connections}_connections_allocated_bytes: {allocated}");
        }

        GC.KeepAlive(ArrayPool<byte>.Shared);
    }
}
