using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace FlowExporter.Bench;

/// <summary>
/// A simulated cluster for the scale simulation (bench/scale/run.sh): N nodes with P pods each, pods grouped into
/// workloads of R replicas spread over the nodes, every workload calling D other workloads with C long-lived TCP
/// connections per calling pod. Writes, for each node, the capture that node's exporter would see (every connection
/// with an end on the node; one data packet each way per connection per second, no handshake, so the connections stay
/// open across replay passes) and one endpoints file naming every pod, as the Kubernetes source would know them.
/// </summary>
internal static class ScaleCaptureGenerator
{
    private const int SnapLength = 128;
    private const int Replicas = 5;
    private const int Callees = 3;
    private const int ConnectionsPerCallee = 2;
    private const int Namespaces = 4;

    /// <summary>The fewest pods that give every workload a member: each calls <see cref="Callees"/> others.</summary>
    public const int MinimumPods = Callees + 1;

    public static void Generate(string directory, int nodes, int podsPerNode, int seconds, TextWriter report)
    {
        var pods = nodes * podsPerNode;
        if (nodes < 1 || podsPerNode < 1 || seconds < 1 || pods < MinimumPods)
        {
            throw new ArgumentException($"scale-capture needs NODES >= 1, PODS_PER_NODE >= 1, SECONDS >= 1 and at least {MinimumPods} pods in all (NODES x PODS_PER_NODE = {pods})");
        }

        Directory.CreateDirectory(directory);
        var workloads = Math.Max(Callees + 1, pods / Replicas);
        var members = new List<int>[workloads];
        for (var w = 0; w < workloads; w++)
        {
            members[w] = [];
        }

        // Pod g = node * P + j; numbering column-major spreads a workload's replicas over the nodes.
        for (var g = 0; g < pods; g++)
        {
            members[WorkloadOf(g, nodes, podsPerNode, workloads)].Add(g);
        }

        var random = new Random(7);
        var connections = new List<Connection>();
        for (var g = 0; g < pods; g++)
        {
            var w = WorkloadOf(g, nodes, podsPerNode, workloads);
            for (var d = 1; d <= Callees; d++)
            {
                var callee = (w + d * 7) % workloads;
                if (callee == w)
                {
                    callee = (callee + 1) % workloads;
                }

                for (var c = 0; c < ConnectionsPerCallee; c++)
                {
                    var target = members[callee][random.Next(members[callee].Count)];
                    var port = (ushort)(32768 + ((g * Callees * ConnectionsPerCallee) + ((d - 1) * ConnectionsPerCallee) + c) % 28000);
                    connections.Add(new Connection(g, target, port, (ushort)(8080 + (callee % 3)), w, callee));
                }
            }
        }

        WriteEndpoints(Path.Combine(directory, "endpoints.yaml"), nodes, podsPerNode, workloads);
        report.WriteLine($"cluster: nodes={nodes} pods={pods} workloads={workloads} connections={connections.Count} " +
            $"workload_pairs={connections.Select(c => (c.InitiatorWorkload, c.TargetWorkload)).Distinct().Count()}");
        for (var node = 0; node < nodes; node++)
        {
            var seen = connections.Where(c => c.Initiator / podsPerNode == node || c.Target / podsPerNode == node).ToList();
            var initiated = seen.Where(c => c.Initiator / podsPerNode == node).ToList();
            var receivedOnly = seen.Where(c => c.Initiator / podsPerNode != node).ToList();
            WriteCapture(Path.Combine(directory, $"{NodeName(node)}.pcap"), seen, podsPerNode, seconds);
            report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"node: {NodeName(node)} connections={seen.Count} " +
                $"endpoint_keys={seen.Select(c => (c.Initiator, c.Target, c.TargetPort)).Distinct().Count()} " +
                $"pod_pairs={seen.Select(c => (c.Initiator, c.Target)).Distinct().Count()} " +
                $"workload_pairs={seen.Select(c => (c.InitiatorWorkload, c.TargetWorkload)).Distinct().Count()} " +
                $"initiated={initiated.Count} received_only={receivedOnly.Count}"));
        }
    }

    public static string NodeName(int node) => string.Create(CultureInfo.InvariantCulture, $"sim-node-{node:D3}");

    private static int WorkloadOf(int pod, int nodes, int podsPerNode, int workloads)
    {
        var column = (pod % podsPerNode * nodes) + (pod / podsPerNode);
        return column / Replicas % workloads;
    }

    private static uint AddressOf(int pod, int podsPerNode)
    {
        var node = pod / podsPerNode;
        return (10u << 24) | ((uint)(100 + (node >> 8)) << 16) | ((uint)(node & 0xFF) << 8) | (uint)(10 + (pod % podsPerNode));
    }

    private static string Dotted(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}");

    private static void WriteEndpoints(string path, int nodes, int podsPerNode, int workloads)
    {
        var text = new StringBuilder();
        for (var pod = 0; pod < nodes * podsPerNode; pod++)
        {
            var w = WorkloadOf(pod, nodes, podsPerNode, workloads);
            text.Append(CultureInfo.InvariantCulture, $"- {{ ip: {Dotted(AddressOf(pod, podsPerNode))}, name: app-{w}-{pod}, namespace: ns-{w % Namespaces}, node: {NodeName(pod / podsPerNode)}, workload: app-{w}, workload_kind: Deployment }}\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    private static void WriteCapture(string path, List<Connection> connections, int podsPerNode, int seconds)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        PcapWriter.WriteFileHeader(file, SnapLength);
        var frame = new byte[SnapLength];
        var random = new Random(11);
        for (var second = 0; second < seconds; second++)
        {
            // One burst per second (frames a microsecond apart), so a paced replay wakes up about once a second.
            var microseconds = (1_700_000_000L + second) * 1_000_000;
            foreach (var connection in connections)
            {
                foreach (var forward in (ReadOnlySpan<bool>)[true, false])
                {
                    var payload = forward ? 200 + random.Next(1200) : 0;
                    var wire = Build(frame, connection, podsPerNode, forward, payload, second);
                    var captured = Math.Min(wire, SnapLength);
                    microseconds++;
                    PcapWriter.WriteRecordHeader(file, microseconds, captured, wire);
                    file.Write(frame, 0, captured);
                }
            }
        }
    }

    /// <summary>An Ethernet/IPv4/TCP frame (ACK, PSH with payload); returns its length on the wire.</summary>
    private static int Build(byte[] frame, Connection connection, int podsPerNode, bool forward, int payload, int second)
    {
        Array.Clear(frame);
        var initiator = AddressOf(connection.Initiator, podsPerNode);
        var target = AddressOf(connection.Target, podsPerNode);
        var (source, destination) = forward ? (initiator, target) : (target, initiator);
        var (sourcePort, destinationPort) = forward ? (connection.InitiatorPort, connection.TargetPort) : (connection.TargetPort, connection.InitiatorPort);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(40 + payload));
        ip[8] = 64;
        ip[9] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destination);
        var tcp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], (uint)(second * 1400));
        tcp[12] = 0x50;
        tcp[13] = payload > 0 ? (byte)0x18 : (byte)0x10;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64240);
        return 14 + 40 + payload;
    }

    private readonly record struct Connection(int Initiator, int Target, ushort InitiatorPort, ushort TargetPort, int InitiatorWorkload, int TargetWorkload);
}
