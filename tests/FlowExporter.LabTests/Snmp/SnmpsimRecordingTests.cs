using System.Globalization;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Snmp;

namespace FlowExporter.LabTests.Snmp;

/// <summary>The real-device recordings, served live by snmpsimd, poll into the ports, names and 64-bit counters they record.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Category", "Lab")]
public sealed class SnmpsimRecordingTests
{
    [Fact]
    public async Task Dlink_recording_served_by_snmpsimd_polls_to_its_recorded_rows()
    {
        await using var sim = await SnmpsimFixture.StartAsync();
        var recorded = File.ReadAllLines(SnmpsimFixture.FixturePath("dlink-des3200-18.ifmib.snmprec"))
            .Select(l => l.Split('|', 3))
            .ToDictionary(p => p[0], p => p[1].EndsWith('x') ? System.Text.Encoding.UTF8.GetString(Convert.FromHexString(p[2])) : p[2]);
        var snapshot = await PollAsync(sim.Ports[0], "dlink-des3200-18.ifmib");
        Assert.Equal(23, snapshot.Ports.Count);
        foreach (var port in snapshot.Ports)
        {
            var index = port.IfIndex.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(recorded[$"{IfMibOids.IfName}.{index}"], port.Name);
            Assert.Equal(ulong.Parse(recorded[$"{IfMibOids.IfHCInOctets}.{index}"], CultureInfo.InvariantCulture), port.ReceiveBytes);
            Assert.Equal(ulong.Parse(recorded[$"{IfMibOids.IfHCOutOctets}.{index}"], CultureInfo.InvariantCulture), port.TransmitBytes);
            Assert.Equal(long.Parse(recorded[$"{IfMibOids.IfOperStatus}.{index}"], CultureInfo.InvariantCulture), port.OperStatus);
        }

        Assert.Equal(2_130_959_972_269UL, snapshot.Ports.Single(p => p.IfIndex == 8).ReceiveBytes);
    }

    [Fact]
    public async Task Net_snmp_walk_recording_served_by_snmpsimd_polls_to_lo_and_eth0()
    {
        await using var sim = await SnmpsimFixture.StartAsync();
        var snapshot = await PollAsync(sim.Ports[0], "netsnmp-linux.ifmib");
        Assert.Equal(["lo", "eth0"], snapshot.Ports.Select(p => p.Name).ToArray());
        Assert.Equal(272_497_428_662UL, snapshot.Ports[1].ReceiveBytes);
        Assert.Equal(40_950_413_065UL, snapshot.Ports[1].TransmitBytes);
    }

    private static async Task<SwitchSnapshot> PollAsync(int port, string community)
    {
        using var transport = new UdpSnmpTransport("127.0.0.1", port, TimeSpan.FromSeconds(3), 1, TimeProvider.System);
        var client = new CommunityClient(transport, System.Text.Encoding.UTF8.GetBytes(community), 5);
        return await new IfMibPoller(community, client, 25, 10, _ => true).PollAsync(CancellationToken.None);
    }
}
