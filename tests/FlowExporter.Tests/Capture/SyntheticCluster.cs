using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FlowExporter.Correlator.Metadata;
using IpAddress = FlowExporter.Correlator.Net.IpAddress;

namespace FlowExporter.Tests.Capture;

/// <summary>
/// A synthetic cluster for cardinality proofs: 1,000 dual-stack pods in 50 workloads (20 pods each, 10 workloads per
/// namespace, 5 namespaces), even pods on node-a and odd pods on node-b, and one dual-stack ClusterIP Service per
/// workload. <see cref="Connections"/> plans 100,000 TCP connections: for each of 5 rounds, each address family, each
/// pod <c>a</c> (workload <c>w = a / 20</c>), 5 targets (the pods <c>a + 20, a + 40, a + 60, a + 80</c>, i.e. one in
/// each of the workloads <c>w + 1 .. w + 4</c>, and the Service of workload <c>w + 5</c>, all modulo the cluster) and
/// 2 target ports (80, 443). Each connection is a SYN and a SYN-ACK without payload.
/// </summary>
internal static class SyntheticCluster
{
    public const int Pods = 1000;
    public const int PodsPerWorkload = 20;
    public const int Workloads = Pods / PodsPerWorkload;
    public const int WorkloadsPerNamespace = 10;
    public const int Rounds = 5;
    public const int Families = 2;
    public const int TargetsPerPod = 5;
    public const int Ports = 2;
    public const int ConnectionCount = Rounds * Families * Pods * TargetsPerPod * Ports;

    /// <summary>Wire bytes of one connection (SYN + SYN-ACK): Ethernet, IP and a 20-byte TCP header, twice.</summary>
    public const int Ipv4ConnectionBytes = 2 * (14 + 20 + 20);

    public const int Ipv6ConnectionBytes = 2 * (14 + 40 + 20);

    private static readonly ushort[] TargetPorts = [80, 443];

    public static int WorkloadOf(int pod) => pod / PodsPerWorkload;

    public static string Node(int pod) => pod % 2 == 0 ? "node-a" : "node-b";

    public static EndpointIndex Index()
    {
        var builder = new EndpointIndexBuilder();
        for (var pod = 0; pod < Pods; pod++)
        {
            var workload = WorkloadOf(pod);
            var endpoint = new NetworkEndpoint(Namespace(workload), $"wl-{workload}-{pod}", Node(pod), WorkloadKinds.Deployment, $"wl-{workload}", HostNetwork: false, EndpointSource.Kubernetes);
            builder.AddPod(endpoint, [ToIp(PodAddress(pod, 0)), ToIp(PodAddress(pod, 1))]);
        }

        for (var workload = 0; workload < Workloads; workload++)
        {
            var service = NetworkEndpoint.ForService(Namespace(workload), $"svc-{workload}", EndpointSource.Kubernetes);
            builder.AddService(ToIp(ServiceAddress(workload, 0)), service);
            builder.AddService(ToIp(ServiceAddress(workload, 1)), service);
        }

        return builder.Build();
    }

    /// <summary>The connections in capture order (round, family, pod, target, port), each with its two frames.</summary>
    public static IEnumerable<PlannedConnection> Connections()
    {
        for (var round = 0; round < Rounds; round++)
        {
            for (var family = 0; family < Families; family++)
            {
                for (var pod = 0; pod < Pods; pod++)
                {
                    for (var target = 0; target < TargetsPerPod; target++)
                    {
                        for (var port = 0; port < Ports; port++)
                        {
                            var initiator = PodAddress(pod, family);
                            var targetAddress = target < TargetsPerPod - 1
                                ? PodAddress((pod + (PodsPerWorkload * (target + 1))) % Pods, family)
                                : ServiceAddress((WorkloadOf(pod) + TargetsPerPod) % Workloads, family);
                            var sourcePort = (ushort)(10000 + (round * 100) + (target * 10) + port);
                            yield return new PlannedConnection(
                                Tcp(initiator, sourcePort, targetAddress, TargetPorts[port], 0x02),
                                Tcp(targetAddress, TargetPorts[port], initiator, sourcePort, 0x12));
                        }
                    }
                }
            }
        }
    }

    private static string Namespace(int workload) => $"ns-{workload / WorkloadsPerNamespace}";

    private static IPAddress PodAddress(int pod, int family) => family == 0
        ? new IPAddress([10, 244, (byte)(pod / 250), (byte)((pod % 250) + 1)])
        : IPAddress.Parse($"fd00::{pod + 1:x}");

    private static IPAddress ServiceAddress(int workload, int family) => family == 0
        ? new IPAddress([10, 96, 0, (byte)(workload + 1)])
        : IPAddress.Parse($"fd00:96::{workload + 1:x}");

    private static IpAddress ToIp(IPAddress address) => IpAddress.Parse(address.ToString());

    /// <summary>An Ethernet frame carrying a TCP header (flags as given, no payload) over IPv4 or IPv6.</summary>
    private static byte[] Tcp(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, byte flags)
    {
        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6;
        var ipLength = v6 ? 40 : 20;
        var frame = new byte[14 + ipLength + 20];
        frame[0] = 0x02;
        frame[6] = 0x02;
        frame[11] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)(v6 ? 0x86DD : 0x0800));
        var ip = frame.AsSpan(14, ipLength);
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 20);
            ip[6] = 6;
            ip[7] = 64;
            source.TryWriteBytes(ip[8..24], out _);
            destination.TryWriteBytes(ip[24..40], out _);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 40);
            ip[8] = 64;
            ip[9] = 6;
            source.TryWriteBytes(ip[12..16], out _);
            destination.TryWriteBytes(ip[16..20], out _);
            uint sum = 0;
            for (var i = 0; i < 20; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
            }

            sum = (sum & 0xFFFF) + (sum >> 16);
            sum = (sum & 0xFFFF) + (sum >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        }

        var tcp = frame.AsSpan(14 + ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64240);
        return frame;
    }
}

/// <summary>One planned connection: the initiator's SYN and the target's SYN-ACK.</summary>
internal sealed record PlannedConnection(byte[] Syn, byte[] SynAck);
