using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Correlator.Tests.Snmp;

/// <summary>
/// An agent restart is counted when sysUpTime goes backwards, and, with a clock, when it advanced clearly less than the
/// time that passed between two answers: an agent that had run for 3 s, was unreachable and restarted comes back 20 s
/// later with a sysUpTime of 5 s, above the old one.
/// </summary>
public sealed class AgentRestartTests
{
    private static readonly Oid SysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");

    [Theory]
    [InlineData(300, 20, 2_300, 0)]   // ran on for the 20 s: no restart
    [InlineData(300, 20, 2_250, 0)]   // 0.5 s short of the clock: within the slack (2 s and 5%)
    [InlineData(300, 100, 9_700, 0)]  // 6 s short over 100 s (an agent answering from a cache): within 2 s and 5%
    [InlineData(300, 20, 1_900, 1)]   // 4 s short over 20 s: more than the slack (3 s)
    [InlineData(300, 20, 500, 1)]     // restarted 5 s before the answer, after a 20 s gap: above the old value, still a restart
    [InlineData(300_000, 20, 1_000, 1)] // backwards: a restart, with or without a clock
    public async Task A_restart_is_counted_when_sysUpTime_advanced_less_than_the_clock(long before, int seconds, long after, int restarts)
    {
        var agent = new FakeAgent(Recordings.Load("netsnmp-linux.ifmib.snmpwalk"));
        var time = new FakeTimeProvider();
        var poller = new IfMibPoller("sw1", new CommunityClient(agent, "c"u8.ToArray(), 7), 25, 10, _ => true, time);
        agent.Set(SysUpTime, SnmpValue.Unsigned(SnmpType.TimeTicks, (ulong)before));
        await poller.PollAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(seconds));
        agent.Set(SysUpTime, SnmpValue.Unsigned(SnmpType.TimeTicks, (ulong)after));
        await poller.PollAsync(CancellationToken.None);

        Assert.Equal(restarts, poller.AgentRestarts);
        Assert.Equal((ulong)after, poller.LastUptimeTicks);
    }

    [Fact]
    public async Task Without_a_clock_only_a_backwards_step_is_a_restart()
    {
        var agent = new FakeAgent(Recordings.Load("netsnmp-linux.ifmib.snmpwalk"));
        var poller = new IfMibPoller("sw1", new CommunityClient(agent, "c"u8.ToArray(), 7), 25, 10, _ => true);
        agent.Set(SysUpTime, SnmpValue.Unsigned(SnmpType.TimeTicks, 300));
        await poller.PollAsync(CancellationToken.None);
        agent.Set(SysUpTime, SnmpValue.Unsigned(SnmpType.TimeTicks, 500));
        await poller.PollAsync(CancellationToken.None);
        Assert.Equal(0, poller.AgentRestarts);
        agent.Set(SysUpTime, SnmpValue.Unsigned(SnmpType.TimeTicks, 100));
        await poller.PollAsync(CancellationToken.None);
        Assert.Equal(1, poller.AgentRestarts);
    }
}
