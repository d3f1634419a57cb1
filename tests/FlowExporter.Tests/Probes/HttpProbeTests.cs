using System.Net;
using System.Net.Sockets;
using FlowExporter.Probes;

namespace FlowExporter.Tests.Probes;

/// <summary>Each error type from a real failure on loopback sockets, not from mocked exceptions.</summary>
public sealed class HttpProbeTests
{
    // Generous: a probe's first request in a process (JIT, handler setup) on a loaded CI machine can take most of a
    // second, and only the timeout test below wants the timeout to expire.
    private static readonly ProbeOptions Options = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static readonly ProbeOptions ShortTimeout = new() { Timeout = TimeSpan.FromMilliseconds(500) };

    [Fact]
    public async Task A_healthy_peer_is_a_success_with_its_duration_and_address()
    {
        await using var server = HealthServer.Start();
        using var probe = new HttpProbe(Options, TimeProvider.System);

        var outcome = await probe.RunAsync(Target("127.0.0.1", server.Port), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.True(outcome.Duration > TimeSpan.Zero);
        Assert.Equal(IPAddress.Loopback, outcome.Remote);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_closed_port_is_a_connect_error()
    {
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        using var probe = new HttpProbe(Options, TimeProvider.System);
        var outcome = await probe.RunAsync(Target("127.0.0.1", port), CancellationToken.None);

        Assert.Equal(ProbeErrorType.Connect, outcome.Error);
        Assert.Contains("refused", outcome.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_listener_that_never_answers_is_a_timeout_after_the_probe_timeout()
    {
        await using var server = HealthServer.Start(silent: true);
        using var probe = new HttpProbe(ShortTimeout, TimeProvider.System);

        var outcome = await probe.RunAsync(Target("127.0.0.1", server.Port), CancellationToken.None);

        Assert.Equal(ProbeErrorType.Timeout, outcome.Error);
        Assert.True(outcome.Duration >= TimeSpan.FromMilliseconds(450), $"{outcome.Duration}");
        Assert.Equal("no answer within 0.5s", outcome.Detail);
    }

    [Fact]
    public async Task A_500_is_an_http_error()
    {
        await using var server = HealthServer.Start(status: 500);
        using var probe = new HttpProbe(Options, TimeProvider.System);

        var outcome = await probe.RunAsync(Target("127.0.0.1", server.Port), CancellationToken.None);

        Assert.Equal(ProbeErrorType.Http, outcome.Error);
        Assert.Equal("HTTP 500", outcome.Detail);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_is_an_http_error()
    {
        await using var server = HealthServer.Start(status: 302);
        using var probe = new HttpProbe(Options, TimeProvider.System);

        var outcome = await probe.RunAsync(Target("127.0.0.1", server.Port), CancellationToken.None);

        Assert.Equal(ProbeErrorType.Http, outcome.Error);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task An_unresolvable_name_is_a_dns_error()
    {
        // RFC 6761: .invalid never resolves.
        using var probe = new HttpProbe(Options with { Timeout = TimeSpan.FromSeconds(10) }, TimeProvider.System);

        var outcome = await probe.RunAsync(Target("exporter-peer.invalid", 9004), CancellationToken.None);

        Assert.Equal(ProbeErrorType.Dns, outcome.Error);
        Assert.Null(outcome.Remote);
    }

    [Fact]
    public async Task A_name_that_resolves_is_probed_at_its_address()
    {
        await using var server = HealthServer.Start();
        using var probe = new HttpProbe(Options, TimeProvider.System);

        var outcome = await probe.RunAsync(Target("localhost", server.Port), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.NotNull(outcome.Remote);
        Assert.True(IPAddress.IsLoopback(outcome.Remote));
    }

    [Fact]
    public async Task Stopping_the_exporter_cancels_a_probe_instead_of_reporting_it()
    {
        await using var server = HealthServer.Start(silent: true);
        using var probe = new HttpProbe(Options with { Timeout = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probe.RunAsync(Target("127.0.0.1", server.Port), stop.Token));
    }

    private static ProbeTarget Target(string address, int port) => new("node-2", ProbePath.Host, address, port);
}
