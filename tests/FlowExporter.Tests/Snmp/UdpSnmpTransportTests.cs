using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Snmp;

namespace FlowExporter.Tests.Snmp;

public sealed class UdpSnmpTransportTests
{
    private static readonly Oid SysName = Oid.Parse("1.3.6.1.2.1.1.5.0");

    [Fact]
    public async Task Stale_garbage_and_duplicate_answers_are_ignored_and_each_request_gets_its_own_answer()
    {
        await using var agent = new UdpTestAgent { Noisy = true };
        agent.Mib[SysName] = SnmpValue.OctetString("sw");
        agent.Mib[Oid.Parse("1.3.6.1.2.1.1.6.0")] = SnmpValue.OctetString("rack 4");
        using var transport = new UdpSnmpTransport("127.0.0.1", agent.Port, TimeSpan.FromSeconds(2), 0, TimeProvider.System);
        var client = new CommunityClient(transport, "public"u8.ToArray(), 100);
        var first = await client.GetAsync([SysName], CancellationToken.None);
        var second = await client.GetAsync([Oid.Parse("1.3.6.1.2.1.1.6.0")], CancellationToken.None);
        Assert.Equal("sw", first.VarBinds[0].Value.AsText());
        Assert.Equal("rack 4", second.VarBinds[0].Value.AsText()); // not the duplicate of the first answer
        Assert.Equal(2, client.MalformedDatagrams); // one garbage datagram per request
    }

    [Fact]
    public async Task A_silent_agent_times_out_after_every_retry_in_bounded_time()
    {
        await using var agent = new UdpTestAgent { Silent = true };
        using var transport = new UdpSnmpTransport("127.0.0.1", agent.Port, TimeSpan.FromMilliseconds(200), 2, TimeProvider.System);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<SnmpRequestException>(
            () => new CommunityClient(transport, "x"u8.ToArray(), 1).GetAsync([SysName], CancellationToken.None));
        Assert.Equal(SnmpFailure.Timeout, error.Failure);
        Assert.Equal(3, agent.Requests);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_port_where_nothing_listens_is_reported_unreachable()
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        using var transport = new UdpSnmpTransport("127.0.0.1", port, TimeSpan.FromMilliseconds(200), 1, TimeProvider.System);
        var error = await Assert.ThrowsAsync<SnmpRequestException>(
            () => new CommunityClient(transport, "x"u8.ToArray(), 1).GetAsync([SysName], CancellationToken.None));
        Assert.Equal(SnmpFailure.PortUnreachable, error.Failure);
    }

    [Fact]
    public async Task Cancellation_stops_a_pending_request()
    {
        await using var agent = new UdpTestAgent { Silent = true };
        using var transport = new UdpSnmpTransport("127.0.0.1", agent.Port, TimeSpan.FromSeconds(30), 0, TimeProvider.System);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new CommunityClient(transport, "x"u8.ToArray(), 1).GetAsync([SysName], cancel.Token));
    }
}
