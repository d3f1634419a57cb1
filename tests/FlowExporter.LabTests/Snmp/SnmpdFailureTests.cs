using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Snmp;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowExporter.LabTests.Snmp;

/// <summary>Each way a poll of a real snmpd can fail ends with network_switch_up 0 and the documented reason, in bounded time.</summary>
[Trait("Category", "Lab")]
public sealed class SnmpdFailureTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static SnmpTargetOptions V2c(int port, string community) => new()
    {
        Name = "sw",
        Host = "127.0.0.1",
        Port = port,
        Community = new SnmpSecret(community),
        Timeout = TimeSpan.FromMilliseconds(1500),
        Retries = 1,
        Interval = TimeSpan.FromSeconds(10),
    };

    private static SnmpTargetOptions V3(int port, string user, SecurityLevel level, string authPass, string privPass) => new()
    {
        Name = "sw",
        Host = "127.0.0.1",
        Port = port,
        Version = "3",
        User = user,
        SecurityLevel = level,
        AuthProtocol = AuthProtocol.Sha1,
        AuthPassphrase = new SnmpSecret(authPass),
        PrivProtocol = level == SecurityLevel.AuthPriv ? PrivProtocol.Aes128 : PrivProtocol.None,
        PrivPassphrase = level == SecurityLevel.AuthPriv ? new SnmpSecret(privPass) : null,
        Timeout = TimeSpan.FromMilliseconds(1500),
        Retries = 1,
        Interval = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task Wrong_community_times_out_because_the_agent_stays_silent()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        await AssertFailsAsync(V2c(agent.Port, "wrong-" + agent.Community), "timeout");
    }

    [Fact]
    public async Task Wrong_auth_passphrase_is_a_wrong_digest()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        await AssertFailsAsync(V3(agent.Port, "shaaes", SecurityLevel.AuthPriv, "not-the-auth-pass", "shaaes-priv-pass"), "wrong_digest");
    }

    [Fact]
    public async Task Wrong_priv_passphrase_times_out_because_snmpd_drops_what_it_cannot_decrypt()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        await AssertFailsAsync(V3(agent.Port, "shaaes", SecurityLevel.AuthPriv, "shaaes-auth-pass", "not-the-priv-pass"), "timeout");
    }

    [Fact]
    public async Task Unknown_user_is_reported()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        await AssertFailsAsync(V3(agent.Port, "nobody-here", SecurityLevel.AuthPriv, "whatever-auth", "whatever-priv"), "unknown_user");
    }

    [Fact]
    public async Task Privacy_for_a_user_without_a_privacy_key_is_an_unsupported_security_level()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        await AssertFailsAsync(V3(agent.Port, "authonly", SecurityLevel.AuthPriv, "authonly-pass", "some-priv-pass"), "unsupported_security_level");
    }

    [Fact]
    public async Task A_port_where_nothing_listens_is_unreachable()
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        await AssertFailsAsync(V2c(port, "any"), "port_unreachable");
    }

    [Fact]
    public async Task An_agent_killed_mid_walk_fails_the_poll_and_drops_its_port_series()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        var options = V2c(agent.Port, agent.Community) with { MaxRepetitions = 1 };
        using var source = new SnmpSource(
            new SnmpOptions([options], [], 1), TimeProvider.System, NullLogger<SnmpSource>.Instance, null,
            target => new KillAfter(new UdpSnmpTransport(target.Host, target.Port, target.Timeout, target.Retries, TimeProvider.System), 3, agent.KillAsync));

        // A first full poll would need dozens of requests at one row each; the agent dies at the third.
        var watch = Stopwatch.StartNew();
        Assert.False(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        Assert.True(watch.Elapsed < Bound, $"took {watch.Elapsed}");
        var text = Scrape(source);
        Assert.Contains("network_switch_up{switch=\"sw\"} 0\n", text);
        Assert.Contains("network_switch_last_poll_error_info{switch=\"sw\",reason=\"port_unreachable\"} 1\n", text);
        Assert.DoesNotContain("network_switch_port_receive_bytes_total", text);
    }

    [Fact]
    public async Task A_good_poll_after_a_failure_brings_the_series_back()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        using var source = new SnmpSource(new SnmpOptions([V2c(agent.Port, agent.Community)], [], 1), TimeProvider.System, NullLogger<SnmpSource>.Instance);
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        var text = Scrape(source);
        Assert.Contains("network_switch_up{switch=\"sw\"} 1\n", text);
        Assert.Contains("network_switch_port_receive_bytes_total{switch=\"sw\",if_index=\"1\",if_name=\"lo\"", text);
    }

    [Fact]
    public async Task A_v3_authPriv_target_polls_through_the_source_and_keeps_its_engine_between_polls()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        var target = V3(agent.Port, "shaaes", SecurityLevel.AuthPriv, "shaaes-auth-pass", "shaaes-priv-pass");
        using var source = new SnmpSource(new SnmpOptions([target], [], 1), TimeProvider.System, NullLogger<SnmpSource>.Instance);
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        var first = source.Targets[0].Snapshot!.Ports.Single(p => p.Name == "lo").ReceiveBytes;
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        var second = source.Targets[0].Snapshot!.Ports.Single(p => p.Name == "lo").ReceiveBytes;
        Assert.True(second >= first);
        Assert.Contains("network_switch_up{switch=\"sw\"} 1\n", Scrape(source));
    }

    [Fact]
    public async Task The_exposition_after_good_and_failed_polls_passes_promtool()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        var good = V2c(agent.Port, agent.Community) with { Name = "good" };
        var bad = V2c(agent.Port, "wrong") with { Name = "bad" };
        var map = new Correlator.Snmp.IfMib.PortMapEntry("good", "lo", 0, "node-1", "lo");
        using var source = new SnmpSource(new SnmpOptions([good, bad], [map], 2), TimeProvider.System, NullLogger<SnmpSource>.Instance);
        Assert.True(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        Assert.False(await source.PollOnceAsync(source.Targets[1], CancellationToken.None));
        var file = Path.Combine(agent.Directory, "metrics.txt");
        await File.WriteAllTextAsync(file, Scrape(source));
        var promtool = BoundedProcess.Require("promtool");
        var (exit, stdout, stderr) = await BoundedProcess.RunAsync("sh", ["-c", $"{promtool} check metrics < {file}"], TimeSpan.FromSeconds(30));
        // SPEC.md names the speed series in bits per second; promtool's lint prefers bytes. That lint line is the only
        // one allowed (a parse error or any other lint fails the test).
        var problems = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line != "network_switch_port_speed_bits_per_second use base unit \"bytes\" instead of \"bits\"")
            .ToArray();
        Assert.True(problems.Length == 0, $"promtool check metrics (exit {exit}): {string.Join('\n', problems)}");
        Assert.Contains("node=\"node-1\",node_interface=\"lo\"", await File.ReadAllTextAsync(file));
    }

    private static async Task AssertFailsAsync(SnmpTargetOptions target, string reason)
    {
        using var source = new SnmpSource(new SnmpOptions([target], [], 1), TimeProvider.System, NullLogger<SnmpSource>.Instance);
        var watch = Stopwatch.StartNew();
        Assert.False(await source.PollOnceAsync(source.Targets[0], CancellationToken.None));
        Assert.True(watch.Elapsed < Bound, $"took {watch.Elapsed}");
        var text = Scrape(source);
        Assert.Contains("network_switch_up{switch=\"sw\"} 0\n", text);
        Assert.Contains($"network_switch_last_poll_error_info{{switch=\"sw\",reason=\"{reason}\"}} 1\n", text);
        Assert.Contains($"network_switch_poll_failures_total{{switch=\"sw\",reason=\"{reason}\"}} 1\n", text);
    }

    private static string Scrape(SnmpSource source)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Kills the agent just before the N-th request goes out.</summary>
    private sealed class KillAfter(ISnmpTransport inner, int n, Func<Task> kill) : ISnmpTransport, IDisposable
    {
        private int _count;

        public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, Func<ReadOnlyMemory<byte>, bool> isAnswer, CancellationToken cancellationToken)
        {
            if (++_count == n)
            {
                await kill();
            }

            return await inner.ExchangeAsync(request, isAnswer, cancellationToken);
        }

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }
}
