using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsSeriesTests
{
    private static string Render(OvsSnapshot snapshot, ExpositionFormat format = ExpositionFormat.PrometheusText)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, format);
        OvsSeries.Write(writer, snapshot, "node-1");
        writer.End();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static OvsSnapshot Small()
    {
        var mapped = new OvsInterfaceRow(
            "u1", "veth1", string.Empty, 3, "up", "up", "aa:aa:aa:aa:aa:01", null,
            new Dictionary<string, string> { ["iface-id"] = "shop_web-1", ["attached-mac"] = "0a:58:00:00:00:01" },
            new OvsInterfaceCounters(100, 2, 0, 1, 200, 4, null, 0));
        var fresh = new OvsInterfaceRow("u2", "new\"port", "dummy", null, null, "down", null, null, new Dictionary<string, string>(), default);
        return new OvsSnapshot(
        [
            new OvsInterfaceSample("br0", "new\"port", fresh, OvsEndpoint.Unmapped),
            new OvsInterfaceSample("br0", "veth1", mapped, OvsEndpointMapper.Map(mapped.ExternalIds)),
        ]);
    }

    [Fact]
    public void A_snapshot_is_written_with_exact_names_labels_and_values()
    {
        const string Labels = "node=\"node-1\",bridge=\"br0\",interface=\"veth1\",ofport=\"3\",type=\"system\",pod_namespace=\"shop\",pod_name=\"web-1\"";
        const string Fresh = "node=\"node-1\",bridge=\"br0\",interface=\"new\\\"port\",type=\"dummy\"";
        var expected = string.Join('\n',
            "# HELP ovs_interface_rx_bytes_total Bytes the switch received from the interface (sent by the pod), from OVS Interface statistics rx_bytes.",
            "# TYPE ovs_interface_rx_bytes_total counter",
            $"ovs_interface_rx_bytes_total{{{Labels}}} 100",
            "# HELP ovs_interface_rx_packets_total Packets the switch received from the interface (sent by the pod), from OVS statistics rx_packets.",
            "# TYPE ovs_interface_rx_packets_total counter",
            $"ovs_interface_rx_packets_total{{{Labels}}} 2",
            "# HELP ovs_interface_rx_errors_total Receive errors on the interface, from OVS statistics rx_errors.",
            "# TYPE ovs_interface_rx_errors_total counter",
            $"ovs_interface_rx_errors_total{{{Labels}}} 0",
            "# HELP ovs_interface_rx_dropped_total Packets received from the interface and dropped, from OVS statistics rx_dropped.",
            "# TYPE ovs_interface_rx_dropped_total counter",
            $"ovs_interface_rx_dropped_total{{{Labels}}} 1",
            "# HELP ovs_interface_tx_bytes_total Bytes the switch sent into the interface (received by the pod), from OVS statistics tx_bytes.",
            "# TYPE ovs_interface_tx_bytes_total counter",
            $"ovs_interface_tx_bytes_total{{{Labels}}} 200",
            "# HELP ovs_interface_tx_packets_total Packets the switch sent into the interface (received by the pod), from OVS statistics tx_packets.",
            "# TYPE ovs_interface_tx_packets_total counter",
            $"ovs_interface_tx_packets_total{{{Labels}}} 4",
            "# HELP ovs_interface_tx_errors_total Transmit errors on the interface, from OVS statistics tx_errors.",
            "# TYPE ovs_interface_tx_errors_total counter",
            "# HELP ovs_interface_tx_dropped_total Packets to be sent into the interface and dropped, from OVS statistics tx_dropped.",
            "# TYPE ovs_interface_tx_dropped_total counter",
            $"ovs_interface_tx_dropped_total{{{Labels}}} 0",
            "# HELP ovs_interface_link_up 1 when OVS reports the interface's link_state up, 0 when down; absent when OVS does not know.",
            "# TYPE ovs_interface_link_up gauge",
            $"ovs_interface_link_up{{{Fresh}}} 0",
            $"ovs_interface_link_up{{{Labels}}} 1",
            "# HELP ovs_interface_admin_up 1 when OVS reports the interface's admin_state up, 0 when down; absent when OVS does not know.",
            "# TYPE ovs_interface_admin_up gauge",
            $"ovs_interface_admin_up{{{Labels}}} 1",
            "# HELP ovs_interface_info Always 1 for every OVS interface on a bridge; iface_id, attached_mac and external_ids_convention carry what external_ids say for joins.",
            "# TYPE ovs_interface_info gauge",
            $"ovs_interface_info{{{Fresh},external_ids_convention=\"none\"}} 1",
            $"ovs_interface_info{{{Labels},iface_id=\"shop_web-1\",attached_mac=\"0a:58:00:00:00:01\",external_ids_convention=\"ovn-kubernetes\"}} 1",
            string.Empty);

        Assert.Equal(expected, Render(Small()));
    }

    [Fact]
    public void OpenMetrics_drops_the_total_suffix_from_counter_families_only()
    {
        var text = Render(Small(), ExpositionFormat.OpenMetrics);
        Assert.Contains("# TYPE ovs_interface_rx_bytes counter\n", text);
        Assert.Contains("\novs_interface_rx_bytes_total{", text);
        Assert.EndsWith("# EOF\n", text);
    }

    [Fact]
    public void No_bare_namespace_or_pod_labels_and_no_series_for_an_empty_snapshot()
    {
        Assert.DoesNotContain(",namespace=", Render(Small()));
        Assert.DoesNotContain(",pod=", Render(Small()));
        Assert.DoesNotContain("ovs_interface_rx_bytes_total{", Render(OvsSnapshot.Empty));
    }

    [Fact]
    public void Every_interface_of_the_lab_fixture_has_its_counters_as_series()
    {
        var text = Render(OvsVsctlOutput.Parse(OvsFixtures.Bytes("lab-vsctl-bridge-port-interface.json")));
        Assert.Contains("ovs_interface_tx_bytes_total{node=\"node-1\",bridge=\"br0\",interface=\"ovnk\",ofport=\"1\",type=\"system\",pod_namespace=\"shop\",pod_name=\"frontend-7d9f8-abcde\"} 2044\n", text);
        Assert.Contains("ovs_interface_rx_bytes_total{node=\"node-1\",bridge=\"br0\",interface=\"kovn\",ofport=\"2\",type=\"system\",pod_namespace=\"cache\",pod_name=\"redis-0\"} 852\n", text);
        Assert.Contains("ovs_interface_tx_packets_total{node=\"node-1\",bridge=\"br0\",interface=\"antr\",ofport=\"3\",type=\"system\",pod_namespace=\"backend\",pod_name=\"api-5c6b7-xyz12\"} 20\n", text);
        Assert.Contains("ovs_interface_rx_packets_total{node=\"node-1\",bridge=\"br0\",interface=\"ostk\",ofport=\"4\",type=\"system\"} 6\n", text);
        Assert.Contains("ovs_interface_tx_dropped_total{node=\"node-1\",bridge=\"br0\",interface=\"br0\",ofport=\"65534\",type=\"internal\"} 20\n", text);
        Assert.Equal(5, text.Split('\n').Count(l => l.StartsWith("ovs_interface_rx_bytes_total{", StringComparison.Ordinal)));
    }
}
