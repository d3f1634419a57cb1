using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using FlowExporter.Ovs;

namespace FlowExporter.Tests.Ovs;

/// <summary>ovsdb mode against a scripted OVSDB server on a unix socket (protocol behaviour and faults).</summary>
public sealed class OvsdbMonitorSourceTests
{
    private static readonly string[] Session = File.ReadAllLines(OvsTestKit.Fixture("lab-ovsdb-monitor-session.jsonl"));
    private readonly OvsTestKit _kit = new();

    private static string InitialResult() => JsonDocument.Parse(Session[0]).RootElement.GetProperty("result").GetRawText();

    /// <param name="quietSeconds">The probe interval and timeout: short where the test is about them, long where a probe
    /// the fake server does not expect (a loaded host slowing the test down) would start a second session.</param>
    private static OvsOptions Options(string target, double quietSeconds = 1) =>
        OvsOptions.Defaults(OvsMode.Ovsdb, target) with
        {
            Timeout = TimeSpan.FromSeconds(quietSeconds),
            ProbeInterval = TimeSpan.FromSeconds(quietSeconds),
            MinBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
        };

    [Fact]
    public async Task Monitor_reply_then_update_notifications_are_applied_and_echo_is_answered()
    {
        var echoReply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sendUpdate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        JsonDocument? monitorRequest = null;
        await using var server = new FakeOvsdbServer(async (c, ct) =>
        {
            monitorRequest = await c.AnswerMonitorAsync(InitialResult(), ct);
            await c.SendAsync("{\"id\":\"echo-7\",\"method\":\"echo\",\"params\":[\"x\"]}", ct);
            using (var reply = await c.ReceiveAsync(ct))
            {
                echoReply.TrySetResult(reply!.RootElement.GetRawText());
            }

            await sendUpdate.Task.WaitAsync(ct);
            await c.SendAsync(Session[1], ct);
            await c.IdleAsync(ct);
        });
        var source = _kit.Monitor(Options(server.Target, quietSeconds: 30));
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(() => source.Latest is not null, TimeSpan.FromSeconds(10), "the initial snapshot");
            Assert.True(_kit.IsUp);
            Assert.Equal(5, source.Latest!.Interfaces.Count);
            Assert.Equal(852L, source.Latest.Interfaces.Single(i => i.Interface.Name == "ovnk").Interface.Counters.RxBytes);

            var request = monitorRequest!.RootElement;
            Assert.Equal("monitor", request.GetProperty("method").GetString());
            var parameters = request.GetProperty("params");
            Assert.Equal("Open_vSwitch", parameters[0].GetString());
            Assert.Equal(["Bridge", "Port", "Interface"], parameters[2].EnumerateObject().Select(t => t.Name));
            Assert.Equal(
                ["name", "type", "ofport", "admin_state", "link_state", "mac_in_use", "error", "external_ids", "statistics"],
                parameters[2].GetProperty("Interface").GetProperty("columns").EnumerateArray().Select(c => c.GetString()));

            Assert.Equal("{\"id\":\"echo-7\",\"result\":[\"x\"],\"error\":null}", await echoReply.Task.WaitAsync(TimeSpan.FromSeconds(10)));

            sendUpdate.SetResult();
            await OvsTestKit.WaitUntilAsync(
                () => source.Latest?.Interfaces.Single(i => i.Interface.Name == "ovnk").Interface.Counters.RxBytes == 964,
                TimeSpan.FromSeconds(10),
                "the update to be applied");
            Assert.Contains(
                "ovs_interface_rx_bytes_total{node=\"node-1\",bridge=\"br0\",interface=\"ovnk\",ofport=\"1\",type=\"system\",pod_namespace=\"shop\",pod_name=\"frontend-7d9f8-abcde\"} 964\n",
                OvsTestKit.Render(source));
            Assert.Equal(1, server.Connections);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_socket_that_accepts_and_never_answers_fails_in_bounded_time_and_up_is_0()
    {
        await using var server = new FakeOvsdbServer((c, ct) => c.IdleAsync(ct));
        var source = _kit.Monitor(Options(server.Target));
        var started = Stopwatch.StartNew();
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(async () => await _kit.ErrorsAsync("no_answer") >= 1, TimeSpan.FromSeconds(10), "a no_answer failure");
            Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
            Assert.False(_kit.IsUp);
            Assert.Null(source.Latest);
            await OvsTestKit.WaitUntilAsync(() => server.Connections >= 2, TimeSpan.FromSeconds(10), "a reconnect");
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_server_that_goes_silent_after_monitoring_is_detected_by_the_echo_probe()
    {
        int connection;
        await using var server = new FakeOvsdbServer(async (c, ct) =>
        {
            await c.AnswerMonitorAsync(InitialResult(), ct);
            await c.IdleAsync(ct); // never answers the probe
        });
        var source = _kit.Monitor(Options(server.Target));
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(() => source.Latest is not null, TimeSpan.FromSeconds(10), "the initial snapshot");
            connection = server.Connections;
            await OvsTestKit.WaitUntilAsync(async () => await _kit.ErrorsAsync("no_answer") >= 1, TimeSpan.FromSeconds(10), "the probe to fail");
            Assert.Equal(1, connection);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("{\"id\":null,\"method\":\"update\",\"params\":[\"flowexporter\",{\"Interface\":{\"u\":{\"new\":{\"name\":7}}}}]}", "parse_error")]
    [InlineData("{\"id\":null,\"method\":\"update\",\"params\":[\"flowexporter\",{\"Interface\":{\"u\":{\"new\":{\"name\":\"a\",}}}}]}", "malformed_json")]
    [InlineData("{\"id\":null,\"method\":\"update\",\"params\":{}}", "protocol_error")]
    [InlineData("CLOSE", "closed")]
    public async Task Bad_input_or_a_closed_connection_ends_the_session_then_it_reconnects_and_monitors_again(string poison, string reason)
    {
        var sessions = 0;
        await using var server = new FakeOvsdbServer(async (c, ct) =>
        {
            await c.AnswerMonitorAsync(InitialResult(), ct);
            if (Interlocked.Increment(ref sessions) > 1)
            {
                await c.ServeHealthyAsync(ct); // the second session stays healthy
                return;
            }

            if (poison != "CLOSE")
            {
                await c.SendAsync(poison, ct);
            }

            await Task.Delay(200, ct);
        });
        var source = _kit.Monitor(Options(server.Target));
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(async () => await _kit.ErrorsAsync(reason) >= 1, TimeSpan.FromSeconds(10), $"a {reason} failure");
            await OvsTestKit.WaitUntilAsync(() => server.Connections == 2 && source.Latest is not null, TimeSpan.FromSeconds(10), "a fresh monitor");
            Assert.Equal(5, source.Latest!.Interfaces.Count);
            Assert.True(_kit.IsUp);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_monitor_error_reply_is_a_failure()
    {
        await using var server = new FakeOvsdbServer(async (c, ct) =>
        {
            using var request = await c.ReceiveAsync(ct);
            await c.SendAsync("{\"id\":1,\"result\":null,\"error\":\"unknown database\"}", ct);
            await c.IdleAsync(ct);
        });
        var source = _kit.Monitor(Options(server.Target));
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(async () => await _kit.ErrorsAsync("monitor_error") >= 1, TimeSpan.FromSeconds(10), "monitor_error");
            Assert.False(_kit.IsUp);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task No_socket_at_the_path_is_a_connect_failure_and_it_keeps_retrying()
    {
        var source = _kit.Monitor(Options("unix:/nonexistent/fe-" + Guid.NewGuid().ToString("N")[..8] + "/db.sock"));
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(async () => await _kit.ErrorsAsync("connect_failed") >= 2, TimeSpan.FromSeconds(10), "two connect failures");
            Assert.False(_kit.IsUp);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Tcp_targets_work_like_unix_ones()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            using var c = new FakeOvsdbConnection(socket);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await c.AnswerMonitorAsync(InitialResult(), cts.Token);
            await c.IdleAsync(cts.Token);
        });
        var source = _kit.Monitor(Options($"tcp:127.0.0.1:{port}"));
        await source.StartAsync(CancellationToken.None);
        try
        {
            await OvsTestKit.WaitUntilAsync(() => source.Latest is not null, TimeSpan.FromSeconds(10), "a snapshot over TCP");
            Assert.True(_kit.IsUp);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
