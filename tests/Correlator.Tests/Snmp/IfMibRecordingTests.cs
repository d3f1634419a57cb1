using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;

namespace FlowExporter.Correlator.Tests.Snmp;

public sealed class IfMibRecordingTests
{
    private static async Task<(SwitchSnapshot Snapshot, IfMibPoller Poller, FakeAgent Agent)> Poll(string fixture, Func<string, bool>? include = null, int polls = 1)
    {
        var agent = new FakeAgent(Recordings.Load(fixture));
        var poller = new IfMibPoller("sw1", new CommunityClient(agent, "c"u8.ToArray(), 7), 25, 10, include ?? (_ => true));
        SwitchSnapshot snapshot = null!;
        for (var i = 0; i < polls; i++)
        {
            snapshot = await poller.PollAsync(CancellationToken.None);
        }

        return (snapshot, poller, agent);
    }

    [Fact]
    public async Task Dlink_recording_decodes_to_its_ports_names_and_64_bit_counters()
    {
        var (snapshot, _, _) = await Poll("dlink-des3200-18.ifmib.snmprec");
        Assert.False(snapshot.Uses32BitCounters);
        Assert.Equal(23, snapshot.Ports.Count);
        var port8 = snapshot.Ports.Single(p => p.IfIndex == 8);
        Assert.Equal("8", port8.Name);
        Assert.Equal(2_130_959_972_269UL, port8.ReceiveBytes); // > 2^32: only Counter64 holds it
        Assert.Equal(226_166_511_721UL, port8.TransmitBytes);
        Assert.Equal(100_000_000UL, port8.SpeedBitsPerSecond);
        var vlan = snapshot.Ports.Single(p => p.IfIndex == 1024);
        Assert.Equal("802.1Q Encapsulation Tag 0001", vlan.Name); // hex-encoded in the recording
        Assert.Equal("System", snapshot.Ports.Single(p => p.IfIndex == 5121).Name);
        Assert.Equal(1L, snapshot.Ports.Single(p => p.IfIndex == 2).OperStatus);
    }

    [Fact]
    public async Task Dlink_recording_agrees_with_its_raw_rows_for_every_port()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var (snapshot, _, _) = await Poll("dlink-des3200-18.ifmib.snmprec");
        foreach (var port in snapshot.Ports)
        {
            Assert.Equal(mib[IfMibOids.IfHCInOctets.Append(port.IfIndex)].Number, port.ReceiveBytes);
            Assert.Equal(mib[IfMibOids.IfHCOutOctets.Append(port.IfIndex)].Number, port.TransmitBytes);
            Assert.Equal(mib[IfMibOids.IfName.Append(port.IfIndex)].AsText(), port.Name);
            Assert.Equal(mib.TryGetValue(IfMibOids.IfAlias.Append(port.IfIndex), out var alias) ? alias.AsText() : string.Empty, port.Alias);
            Assert.Equal(mib.TryGetValue(IfMibOids.IfInErrors.Append(port.IfIndex), out var errors) ? errors.Number : null, port.ReceiveErrors);
        }
    }

    [Fact]
    public async Task Linux_snmpwalk_recording_decodes_lo_and_eth0()
    {
        var (snapshot, _, _) = await Poll("netsnmp-linux.ifmib.snmpwalk");
        Assert.Equal(["lo", "eth0"], snapshot.Ports.Select(p => p.Name).ToArray());
        var eth0 = snapshot.Ports[1];
        Assert.Equal(272_497_428_662UL, eth0.ReceiveBytes);
        Assert.Equal(40_950_413_065UL, eth0.TransmitBytes);
        Assert.Equal(326_497_672UL, eth0.ReceiveUnicastPackets);
        Assert.Equal(100_000_000UL, eth0.SpeedBitsPerSecond);
    }

    [Fact]
    public async Task An_agent_without_ifXTable_falls_back_to_32_bit_counters()
    {
        var mib = Recordings.Load("netsnmp-linux.ifmib.snmpwalk");
        var noIfX = mib.Where(p => !Oid.Parse("1.3.6.1.2.1.31").IsAncestorOf(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        var poller = new IfMibPoller("sw1", new CommunityClient(new FakeAgent(noIfX), "c"u8.ToArray(), 7), 25, 10, _ => true);
        var snapshot = await poller.PollAsync(CancellationToken.None);
        Assert.True(snapshot.Uses32BitCounters);
        var eth0 = snapshot.Ports.Single(p => p.IfIndex == 2);
        Assert.Equal("eth0", eth0.Name); // from ifDescr
        Assert.Equal(mib[IfMibOids.IfInOctets.Append(2)].Number, eth0.ReceiveBytes);
        Assert.Equal(mib[IfMibOids.IfSpeed.Append(2)].Number, eth0.SpeedBitsPerSecond);
        Assert.Null(eth0.ReceiveMulticastPackets);
    }

    [Fact]
    public async Task Label_columns_are_walked_once_per_refresh_period()
    {
        var (_, poller, _) = await Poll("dlink-des3200-18.ifmib.snmprec", polls: 12);
        Assert.Equal(2, poller.LabelWalks); // polls 1 and 11
    }

    [Fact]
    public async Task A_new_interface_between_label_refreshes_gets_its_name_at_once()
    {
        var agent = new FakeAgent(Recordings.Load("netsnmp-linux.ifmib.snmpwalk"));
        var poller = new IfMibPoller("sw1", new CommunityClient(agent, "c"u8.ToArray(), 7), 25, 10, _ => true);
        await poller.PollAsync(CancellationToken.None);
        agent.Set(IfMibOids.IfName.Append(3), SnmpValue.OctetString("veth9"));
        agent.Set(IfMibOids.IfOperStatus.Append(3), SnmpValue.Integer(1));
        agent.Set(IfMibOids.IfHCInOctets.Append(3), SnmpValue.Unsigned(SnmpType.Counter64, 77));
        agent.Set(IfMibOids.IfHCInOctets.Append(2), SnmpValue.Unsigned(SnmpType.Counter64, 272_497_500_000));
        var second = await poller.PollAsync(CancellationToken.None);
        Assert.Equal(2, poller.LabelWalks);
        Assert.Equal("veth9", second.Ports.Single(p => p.IfIndex == 3).Name);
        Assert.Equal(77UL, second.Ports.Single(p => p.IfIndex == 3).ReceiveBytes);
        Assert.Equal(272_497_500_000UL, second.Ports.Single(p => p.IfIndex == 2).ReceiveBytes);
        await poller.PollAsync(CancellationToken.None);
        Assert.Equal(2, poller.LabelWalks); // nothing new: labels stay cached
    }

    [Fact]
    public async Task The_include_filter_sees_the_port_name()
    {
        var include = new Regex("^[0-9]+$");
        var (snapshot, _, _) = await Poll("dlink-des3200-18.ifmib.snmprec", include.IsMatch);
        Assert.Equal(18, snapshot.Ports.Count);
    }

    [Fact]
    public void The_writer_emits_the_documented_series_with_port_map_labels()
    {
        var port = new SwitchPort(3, "Ethernet1/1", "to node-1", "Eth 1/1")
        {
            ReceiveBytes = 5_000_000_000,
            TransmitBytes = 7,
            ReceiveUnicastPackets = 1,
            ReceiveMulticastPackets = 2,
            ReceiveBroadcastPackets = 3,
            ReceiveErrors = 4,
            OperStatus = 2,
            AdminStatus = 1,
            SpeedBitsPerSecond = 10_000_000_000,
        };
        var map = new PortMap([new PortMapEntry("tor-1", "Ethernet1/1", 10, "node-1", "eth0")]);
        var status = new SwitchTargetStatus("tor-1", true, 1700000000.5, 0.25, null, new Dictionary<string, long> { ["timeout"] = 2 });
        var down = new SwitchTargetStatus("tor-2", false, null, 3, "unknown_user", new Dictionary<string, long> { ["unknown_user"] = 1 }, 4);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, ExpositionFormat.PrometheusText);
        SwitchSeriesWriter.Write(writer, [new SwitchSnapshot("tor-1", [port], false)], map, [status, down]);
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        const string Labels = "switch=\"tor-1\",if_index=\"3\",if_name=\"Ethernet1/1\",if_alias=\"to node-1\",node=\"node-1\",node_interface=\"eth0\"";
        Assert.Contains($"network_switch_port_receive_bytes_total{{{Labels}}} 5000000000\n", text);
        Assert.Contains($"network_switch_port_transmit_bytes_total{{{Labels}}} 7\n", text);
        Assert.Contains($"network_switch_port_receive_packets_total{{{Labels},cast=\"multicast\"}} 2\n", text);
        Assert.Contains($"network_switch_port_receive_errors_total{{{Labels}}} 4\n", text);
        Assert.Contains($"network_switch_port_up{{{Labels}}} 0\n", text);
        Assert.Contains($"network_switch_port_admin_up{{{Labels}}} 1\n", text);
        Assert.Contains($"network_switch_port_speed_bits_per_second{{{Labels}}} 10000000000\n", text);
        Assert.Contains("network_switch_port_map_info{switch=\"tor-1\",if_name=\"Ethernet1/1\",vlan=\"10\",node=\"node-1\",node_interface=\"eth0\"} 1\n", text);
        Assert.Contains("network_switch_up{switch=\"tor-1\"} 1\n", text);
        Assert.Contains("network_switch_up{switch=\"tor-2\"} 0\n", text);
        Assert.Contains("network_switch_last_success_timestamp_seconds{switch=\"tor-1\"} 1700000000.5\n", text);
        Assert.DoesNotContain("network_switch_last_success_timestamp_seconds{switch=\"tor-2\"}", text);
        Assert.Contains("network_switch_last_poll_error_info{switch=\"tor-2\",reason=\"unknown_user\"} 1\n", text);
        Assert.Contains("network_switch_poll_failures_total{switch=\"tor-1\",reason=\"timeout\"} 2\n", text);
        Assert.Contains("network_switch_malformed_datagrams_total{switch=\"tor-2\"} 4\n", text);
        Assert.DoesNotContain("transmit_errors_total{", text); // not returned by the agent: no sample
        Assert.Equal(1, Regex.Count(text, "# TYPE network_switch_port_receive_bytes_total counter"));
    }
}
