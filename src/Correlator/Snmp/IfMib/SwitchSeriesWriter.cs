using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>Writes switch port series, the port map info series and per-switch health (names in docs/snmp.md).</summary>
public static class SwitchSeriesWriter
{
    public static readonly MetricFamily ReceiveBytes = new("network_switch_port_receive_bytes_total", MetricType.Counter,
        "Octets received on the switch port (ifHCInOctets, or ifInOctets when the agent lacks ifXTable).");

    public static readonly MetricFamily TransmitBytes = new("network_switch_port_transmit_bytes_total", MetricType.Counter,
        "Octets transmitted on the switch port (ifHCOutOctets, or ifOutOctets when the agent lacks ifXTable).");

    public static readonly MetricFamily ReceivePackets = new("network_switch_port_receive_packets_total", MetricType.Counter,
        "Packets received on the switch port by cast type (ifHCIn{Ucast,Multicast,Broadcast}Pkts).");

    public static readonly MetricFamily TransmitPackets = new("network_switch_port_transmit_packets_total", MetricType.Counter,
        "Packets transmitted on the switch port by cast type (ifHCOut{Ucast,Multicast,Broadcast}Pkts).");

    public static readonly MetricFamily ReceiveErrors = new("network_switch_port_receive_errors_total", MetricType.Counter,
        "Inbound packets with errors (ifInErrors).");

    public static readonly MetricFamily TransmitErrors = new("network_switch_port_transmit_errors_total", MetricType.Counter,
        "Outbound packets that could not be sent because of errors (ifOutErrors).");

    public static readonly MetricFamily ReceiveDiscards = new("network_switch_port_receive_discards_total", MetricType.Counter,
        "Inbound packets discarded without an error (ifInDiscards).");

    public static readonly MetricFamily TransmitDiscards = new("network_switch_port_transmit_discards_total", MetricType.Counter,
        "Outbound packets discarded without an error (ifOutDiscards).");

    public static readonly MetricFamily PortUp = new("network_switch_port_up", MetricType.Gauge,
        "1 when the port's operational status (ifOperStatus) is up, else 0.");

    public static readonly MetricFamily PortAdminUp = new("network_switch_port_admin_up", MetricType.Gauge,
        "1 when the port's administrative status (ifAdminStatus) is up, else 0.");

    public static readonly MetricFamily PortSpeed = new("network_switch_port_speed_bits_per_second", MetricType.Gauge,
        "The port's speed (ifHighSpeed in Mbit/s times 10^6, or ifSpeed).");

    public static readonly MetricFamily PortMapInfo = new("network_switch_port_map_info", MetricType.Gauge,
        "Configured cabling: the switch port behind a node's interface (snmp.port_map). Always 1.");

    public static readonly MetricFamily SwitchUp = new("network_switch_up", MetricType.Gauge,
        "1 when the last SNMP poll of the switch succeeded, else 0.");

    public static readonly MetricFamily LastSuccess = new("network_switch_last_success_timestamp_seconds", MetricType.Gauge,
        "Unix time of the switch's last successful SNMP poll.");

    public static readonly MetricFamily PollDuration = new("network_switch_poll_duration_seconds", MetricType.Gauge,
        "How long the switch's last SNMP poll took, successful or not.");

    public static readonly MetricFamily LastError = new("network_switch_last_poll_error_info", MetricType.Gauge,
        "Present (1) while the switch's last poll failed; reason says why (timeout, unknown_user, wrong_digest, ...).");

    public static readonly MetricFamily PollFailures = new("network_switch_poll_failures_total", MetricType.Counter,
        "Failed SNMP polls of the switch since start, by reason.");

    public static readonly MetricFamily MalformedDatagrams = new("network_switch_malformed_datagrams_total", MetricType.Counter,
        "Datagrams from the switch that were not valid SNMP (ignored) since start.");

    public static readonly MetricFamily AgentRestarts = new("network_switch_agent_restarts_total", MetricType.Counter,
        "Times the switch's SNMP agent restarted since start (sysUpTime went backwards between two polls); port labels are re-read then.");

    public static readonly MetricFamily AgentUptime = new("network_switch_agent_uptime_seconds", MetricType.Gauge,
        "The switch's sysUpTime at the last good poll: time since its SNMP agent (re)started.");

    private static readonly MetricFamily[] PortFamilies =
        [ReceiveBytes, TransmitBytes, ReceivePackets, TransmitPackets, ReceiveErrors, TransmitErrors, ReceiveDiscards, TransmitDiscards, PortUp, PortAdminUp, PortSpeed];

    public static void Write(ExpositionWriter writer, IReadOnlyList<SwitchSnapshot> snapshots, PortMap map, IReadOnlyList<SwitchTargetStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(statuses);
        var anyPort = snapshots.Any(s => s.Ports.Count > 0);
        foreach (var family in PortFamilies)
        {
            if (!anyPort)
            {
                break;
            }

            writer.Family(family);
            foreach (var snapshot in snapshots)
            {
                foreach (var port in snapshot.Ports)
                {
                    WritePort(writer, family, snapshot.Switch, port, map.Find(snapshot.Switch, port.Name));
                }
            }
        }

        if (map.Entries.Count > 0)
        {
            writer.Family(PortMapInfo);
            foreach (var entry in map.Entries)
            {
                writer.BeginSample(PortMapInfo);
                writer.Label("switch"u8, entry.Switch);
                writer.Label("if_name"u8, entry.IfName);
                writer.Label("vlan"u8, entry.Vlan);
                writer.Label("node"u8, entry.Node);
                writer.Label("node_interface"u8, entry.NodeInterface);
                writer.Value(1L);
            }
        }

        WriteHealth(writer, statuses);
    }

    private static void WritePort(ExpositionWriter writer, MetricFamily family, string switchName, SwitchPort port, PortMapEntry? mapped)
    {
        if (family == ReceivePackets || family == TransmitPackets)
        {
            var receive = family == ReceivePackets;
            Sample(writer, family, switchName, port, mapped, "unicast", receive ? port.ReceiveUnicastPackets : port.TransmitUnicastPackets);
            Sample(writer, family, switchName, port, mapped, "multicast", receive ? port.ReceiveMulticastPackets : port.TransmitMulticastPackets);
            Sample(writer, family, switchName, port, mapped, "broadcast", receive ? port.ReceiveBroadcastPackets : port.TransmitBroadcastPackets);
            return;
        }

        var value = family switch
        {
            _ when family == ReceiveBytes => port.ReceiveBytes,
            _ when family == TransmitBytes => port.TransmitBytes,
            _ when family == ReceiveErrors => port.ReceiveErrors,
            _ when family == TransmitErrors => port.TransmitErrors,
            _ when family == ReceiveDiscards => port.ReceiveDiscards,
            _ when family == TransmitDiscards => port.TransmitDiscards,
            _ when family == PortUp => port.OperStatus is { } oper ? (oper == 1 ? 1UL : 0UL) : null,
            _ when family == PortAdminUp => port.AdminStatus is { } admin ? (admin == 1 ? 1UL : 0UL) : null,
            _ => port.SpeedBitsPerSecond,
        };
        Sample(writer, family, switchName, port, mapped, null, value);
    }

    private static void Sample(ExpositionWriter writer, MetricFamily family, string switchName, SwitchPort port, PortMapEntry? mapped, string? cast, ulong? value)
    {
        if (value is not { } v)
        {
            return;
        }

        writer.BeginSample(family);
        writer.Label("switch"u8, switchName);
        writer.Label("if_index"u8, port.IfIndex);
        writer.Label("if_name"u8, port.Name);
        writer.Label("if_alias"u8, port.Alias);
        if (mapped is not null)
        {
            writer.Label("node"u8, mapped.Node);
            writer.Label("node_interface"u8, mapped.NodeInterface);
        }

        if (cast is not null)
        {
            writer.Label("cast"u8, cast);
        }

        writer.Value(v);
    }

    private static void WriteHealth(ExpositionWriter writer, IReadOnlyList<SwitchTargetStatus> statuses)
    {
        if (statuses.Count == 0)
        {
            return;
        }

        writer.Family(SwitchUp);
        foreach (var status in statuses)
        {
            writer.BeginSample(SwitchUp);
            writer.Label("switch"u8, status.Switch);
            writer.Value(status.Up ? 1L : 0L);
        }

        writer.Family(LastSuccess);
        foreach (var status in statuses.Where(s => s.LastSuccessUnixSeconds is not null))
        {
            writer.BeginSample(LastSuccess);
            writer.Label("switch"u8, status.Switch);
            writer.Value(status.LastSuccessUnixSeconds!.Value);
        }

        writer.Family(PollDuration);
        foreach (var status in statuses)
        {
            writer.BeginSample(PollDuration);
            writer.Label("switch"u8, status.Switch);
            writer.Value(status.LastPollDurationSeconds);
        }

        writer.Family(LastError);
        foreach (var status in statuses.Where(s => !s.Up && s.LastFailureReason is not null))
        {
            writer.BeginSample(LastError);
            writer.Label("switch"u8, status.Switch);
            writer.Label("reason"u8, status.LastFailureReason);
            writer.Value(1L);
        }

        writer.Family(MalformedDatagrams);
        foreach (var status in statuses)
        {
            writer.BeginSample(MalformedDatagrams);
            writer.Label("switch"u8, status.Switch);
            writer.Value(status.MalformedDatagrams);
        }

        writer.Family(AgentRestarts);
        foreach (var status in statuses)
        {
            writer.BeginSample(AgentRestarts);
            writer.Label("switch"u8, status.Switch);
            writer.Value(status.AgentRestarts);
        }

        writer.Family(AgentUptime);
        foreach (var status in statuses.Where(s => s.Up && s.AgentUptimeSeconds is not null))
        {
            writer.BeginSample(AgentUptime);
            writer.Label("switch"u8, status.Switch);
            writer.Value(status.AgentUptimeSeconds!.Value);
        }

        writer.Family(PollFailures);
        foreach (var status in statuses)
        {
            foreach (var (reason, count) in status.FailuresByReason.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.BeginSample(PollFailures);
                writer.Label("switch"u8, status.Switch);
                writer.Label("reason"u8, reason);
                writer.Value(count);
            }
        }
    }
}
