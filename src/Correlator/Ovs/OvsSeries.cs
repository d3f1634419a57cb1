using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// Writes an <see cref="OvsSnapshot"/> as the <c>ovs_interface_*</c> families. Labels: <c>node</c>, <c>bridge</c>,
/// <c>interface</c>, <c>ofport</c> (absent before OVS assigns one), <c>type</c> (<c>system</c> for OVS's empty type), and <c>pod_namespace</c>/<c>pod_name</c>
/// when external_ids map the interface to a pod. Counters are in OVS's perspective (rx = received by the switch from the
/// port = sent by the pod) and are written only when the statistics column reports them; the state gauges and
/// <c>ovs_interface_info</c> are written for every interface, so a port without statistics yet is still visible.
/// </summary>
public static class OvsSeries
{
    public static readonly MetricFamily RxBytes = Counter("rx_bytes", "Bytes the switch received from the interface (sent by the pod), from OVS Interface statistics rx_bytes.");
    public static readonly MetricFamily RxPackets = Counter("rx_packets", "Packets the switch received from the interface (sent by the pod), from OVS statistics rx_packets.");
    public static readonly MetricFamily RxErrors = Counter("rx_errors", "Receive errors on the interface, from OVS statistics rx_errors.");
    public static readonly MetricFamily RxDropped = Counter("rx_dropped", "Packets received from the interface and dropped, from OVS statistics rx_dropped.");
    public static readonly MetricFamily TxBytes = Counter("tx_bytes", "Bytes the switch sent into the interface (received by the pod), from OVS statistics tx_bytes.");
    public static readonly MetricFamily TxPackets = Counter("tx_packets", "Packets the switch sent into the interface (received by the pod), from OVS statistics tx_packets.");
    public static readonly MetricFamily TxErrors = Counter("tx_errors", "Transmit errors on the interface, from OVS statistics tx_errors.");
    public static readonly MetricFamily TxDropped = Counter("tx_dropped", "Packets to be sent into the interface and dropped, from OVS statistics tx_dropped.");

    public static readonly MetricFamily LinkUp = new(
        "ovs_interface_link_up", MetricType.Gauge, "1 when OVS reports the interface's link_state up, 0 when down; absent when OVS does not know.");

    public static readonly MetricFamily AdminUp = new(
        "ovs_interface_admin_up", MetricType.Gauge, "1 when OVS reports the interface's admin_state up, 0 when down; absent when OVS does not know.");

    public static readonly MetricFamily Info = new(
        "ovs_interface_info", MetricType.Gauge,
        "Always 1 for every OVS interface on a bridge; iface_id, attached_mac and external_ids_convention carry what external_ids say for joins.");

    private static readonly (MetricFamily Family, Func<OvsInterfaceCounters, long?> Value)[] Counters =
    [
        (RxBytes, static c => c.RxBytes), (RxPackets, static c => c.RxPackets), (RxErrors, static c => c.RxErrors), (RxDropped, static c => c.RxDropped),
        (TxBytes, static c => c.TxBytes), (TxPackets, static c => c.TxPackets), (TxErrors, static c => c.TxErrors), (TxDropped, static c => c.TxDropped),
    ];

    public static IReadOnlyList<MetricFamily> Families { get; } =
        [RxBytes, RxPackets, RxErrors, RxDropped, TxBytes, TxPackets, TxErrors, TxDropped, LinkUp, AdminUp, Info];

    public static void Write(ExpositionWriter writer, OvsSnapshot snapshot, string node)
    {
        var interfaces = snapshot.Interfaces;
        foreach (var (family, value) in Counters)
        {
            writer.Family(family);
            foreach (var sample in interfaces)
            {
                if (value(sample.Interface.Counters) is { } count)
                {
                    BeginSample(writer, family, sample, node);
                    writer.Value(count);
                }
            }
        }

        WriteState(writer, LinkUp, interfaces, node, static row => row.LinkState);
        WriteState(writer, AdminUp, interfaces, node, static row => row.AdminState);

        writer.Family(Info);
        foreach (var sample in interfaces)
        {
            BeginSample(writer, Info, sample, node);
            var endpoint = sample.Endpoint;
            if (endpoint.IfaceId is not null)
            {
                writer.Label("iface_id"u8, endpoint.IfaceId);
            }

            if (endpoint.AttachedMac is not null)
            {
                writer.Label("attached_mac"u8, endpoint.AttachedMac);
            }

            writer.Label("external_ids_convention"u8, ConventionName(endpoint.Convention));
            writer.Value(1L);
        }
    }

    public static string ConventionName(OvsEndpointConvention convention) => convention switch
    {
        OvsEndpointConvention.OvnKubernetes => "ovn-kubernetes",
        OvsEndpointConvention.KubeOvn => "kube-ovn",
        OvsEndpointConvention.Antrea => "antrea",
        OvsEndpointConvention.OpenStack => "openstack",
        _ => "none",
    };

    private static void WriteState(
        ExpositionWriter writer, MetricFamily family, IReadOnlyList<OvsInterfaceSample> interfaces, string node, Func<OvsInterfaceRow, string?> state)
    {
        writer.Family(family);
        foreach (var sample in interfaces)
        {
            var value = state(sample.Interface) switch
            {
                "up" => 1L,
                "down" => 0L,
                _ => -1L,
            };
            if (value >= 0)
            {
                BeginSample(writer, family, sample, node);
                writer.Value(value);
            }
        }
    }

    private static void BeginSample(ExpositionWriter writer, MetricFamily family, OvsInterfaceSample sample, string node)
    {
        var row = sample.Interface;
        writer.BeginSample(family);
        writer.Label("node"u8, node);
        writer.Label("bridge"u8, sample.Bridge);
        writer.Label("interface"u8, row.Name);
        if (row.OfPort is { } ofport)
        {
            writer.Label("ofport"u8, ofport);
        }

        writer.Label("type"u8, row.Type.Length == 0 ? "system" : row.Type);
        if (sample.Endpoint.IsMapped)
        {
            writer.Label("pod_namespace"u8, sample.Endpoint.PodNamespace);
            writer.Label("pod_name"u8, sample.Endpoint.PodName);
        }
    }

    private static MetricFamily Counter(string stat, string help) =>
        new($"ovs_interface_{stat}_total", MetricType.Counter, help);
}
