using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Snmp;
using Microsoft.Extensions.Logging;

namespace FlowExporter.Tests.Snmp;

public sealed class SnmpSourceTests
{
    private const string Sentinel = "SENTINEL-c0mmunity-7f3a";

    // A good agent gets a generous timeout: it must answer even when the test host is starved of threads. A dead port
    // keeps a short one: its ICMP port unreachable shows on the retry.
    private static SnmpTargetOptions Target(string name, int port, double timeoutSeconds = 5) => new()
    {
        Name = name,
        Host = "127.0.0.1",
        Port = port,
        Community = new SnmpSecret(Sentinel),
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        Retries = 1,
        Interval = TimeSpan.FromSeconds(5),
    };

    private static string Scrape(SnmpSource source)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public async Task A_good_and_a_dead_target_show_up_1_and_0_with_reasons_and_no_secret_anywhere()
    {
        await using var agent = new UdpTestAgent();
        agent.Mib[IfMibOids.IfName.Append(1)] = SnmpValue.OctetString("Ethernet1/1");
        agent.Mib[IfMibOids.IfHCInOctets.Append(1)] = SnmpValue.Unsigned(SnmpType.Counter64, 1UL << 40);
        agent.Mib[IfMibOids.IfHCOutOctets.Append(1)] = SnmpValue.Unsigned(SnmpType.Counter64, 5);
        agent.Mib[IfMibOids.IfOperStatus.Append(1)] = SnmpValue.Integer(1);
        int deadPort;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            deadPort = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var logs = new ListLogger();
        var options = new SnmpOptions(
            [Target("tor-1", agent.Port), Target("tor-2", deadPort, timeoutSeconds: 0.2)],
            [new PortMapEntry("tor-1", "Ethernet1/1", 0, "node-1", "eth0")],
            2);
        using var source = new SnmpSource(options, TimeProvider.System, logs);
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        Assert.False(await source.PollOnceAsync(source.Targets[1], CancellationToken.None));

        var text = Scrape(source);
        Assert.Contains("network_switch_port_receive_bytes_total{switch=\"tor-1\",if_index=\"1\",if_name=\"Ethernet1/1\",if_alias=\"\",node=\"node-1\",node_interface=\"eth0\"} 1099511627776\n", text);
        Assert.Contains("network_switch_up{switch=\"tor-1\"} 1\n", text);
        Assert.Contains("network_switch_up{switch=\"tor-2\"} 0\n", text);
        Assert.Contains("network_switch_last_poll_error_info{switch=\"tor-2\",reason=\"port_unreachable\"} 1\n", text);
        Assert.DoesNotContain(Sentinel, text);
        Assert.NotEmpty(logs.Lines);
        Assert.All(logs.Lines, line => Assert.DoesNotContain(Sentinel, line));
    }

    [Fact]
    public async Task A_sysUpTime_that_goes_backwards_counts_an_agent_restart_and_relabels_renumbered_ports_at_once()
    {
        await using var agent = new UdpTestAgent();
        var sysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");
        agent.Mib[sysUpTime] = SnmpValue.Unsigned(SnmpType.TimeTicks, 500_000);
        agent.Mib[IfMibOids.IfName.Append(1)] = SnmpValue.OctetString("Ethernet1/1");
        agent.Mib[IfMibOids.IfHCInOctets.Append(1)] = SnmpValue.Unsigned(SnmpType.Counter64, 9_000_000);
        agent.Mib[IfMibOids.IfOperStatus.Append(1)] = SnmpValue.Integer(1);
        agent.Mib[IfMibOids.IfName.Append(2)] = SnmpValue.OctetString("Ethernet1/2");
        agent.Mib[IfMibOids.IfHCInOctets.Append(2)] = SnmpValue.Unsigned(SnmpType.Counter64, 10);
        agent.Mib[IfMibOids.IfOperStatus.Append(2)] = SnmpValue.Integer(1);
        using var source = new SnmpSource(new SnmpOptions([Target("tor-1", agent.Port)], [], 1), TimeProvider.System, new ListLogger());
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        Assert.Contains("network_switch_agent_restarts_total{switch=\"tor-1\"} 0\n", Scrape(source));
        Assert.Contains("network_switch_agent_uptime_seconds{switch=\"tor-1\"} 5000\n", Scrape(source));

        // The agent restarts and swaps the two ports' ifIndex; sysUpTime starts again. Without the restart the labels
        // (cached for 10 polls) would put Ethernet1/1's small new count under Ethernet1/2's name.
        agent.Mib[sysUpTime] = SnmpValue.Unsigned(SnmpType.TimeTicks, 300);
        agent.Mib[IfMibOids.IfName.Append(1)] = SnmpValue.OctetString("Ethernet1/2");
        agent.Mib[IfMibOids.IfHCInOctets.Append(1)] = SnmpValue.Unsigned(SnmpType.Counter64, 20);
        agent.Mib[IfMibOids.IfName.Append(2)] = SnmpValue.OctetString("Ethernet1/1");
        agent.Mib[IfMibOids.IfHCInOctets.Append(2)] = SnmpValue.Unsigned(SnmpType.Counter64, 5);
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        var text = Scrape(source);
        Assert.Contains("network_switch_agent_restarts_total{switch=\"tor-1\"} 1\n", text);
        Assert.Contains("network_switch_agent_uptime_seconds{switch=\"tor-1\"} 3\n", text);
        Assert.Contains("network_switch_port_receive_bytes_total{switch=\"tor-1\",if_index=\"1\",if_name=\"Ethernet1/2\",if_alias=\"\"} 20\n", text);
        Assert.Contains("network_switch_port_receive_bytes_total{switch=\"tor-1\",if_index=\"2\",if_name=\"Ethernet1/1\",if_alias=\"\"} 5\n", text);

        // An agent without sysUpTime is polled as before, and its restarts stay unknown (0).
        agent.Mib.Remove(sysUpTime);
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        Assert.Contains("network_switch_agent_restarts_total{switch=\"tor-1\"} 1\n", Scrape(source));
    }

    private sealed class ListLogger : ILogger<SnmpSource>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception) + exception);
            }
        }
    }
}
