using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Tests.Ovs;

/// <summary>An OVSDB server stand-in on a unix socket: each accepted connection runs the test's script.</summary>
internal sealed class FakeOvsdbServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Func<FakeOvsdbConnection, CancellationToken, Task> _script;
    private int _connections;

    public FakeOvsdbServer(Func<FakeOvsdbConnection, CancellationToken, Task> script)
    {
        _script = script;
        Directory = System.IO.Directory.CreateTempSubdirectory("fe-ovsdb-").FullName;
        SocketPath = Path.Combine(Directory, "db.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(16);
        _accepting = AcceptAsync();
    }

    public string Directory { get; }

    public string SocketPath { get; }

    public string Target => "unix:" + SocketPath;

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                running.Add(RunAsync(socket));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(running);
    }

    private async Task RunAsync(Socket socket)
    {
        using var connection = new FakeOvsdbConnection(socket);
        try
        {
            await _script(connection, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        System.IO.Directory.Delete(Directory, recursive: true);
        _stop.Dispose();
    }
}

internal sealed class FakeOvsdbConnection(Socket socket) : IDisposable
{
    private readonly JsonMessageFramer _framer = new(16 * 1024 * 1024);
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);

    /// <summary>The next message from the client, or null when it closed the connection.</summary>
    public async Task<JsonDocument?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_framer.TryReadMessage(out var message))
            {
                return JsonDocument.Parse(message.ToArray());
            }

            var read = await _stream.ReadAsync(_framer.GetWriteMemory(), cancellationToken);
            if (read == 0)
            {
                return null;
            }

            _framer.Advance(read);
        }
    }

    public Task SendAsync(string json, CancellationToken cancellationToken) =>
        _stream.WriteAsync(Encoding.UTF8.GetBytes(json), cancellationToken).AsTask();

    /// <summary>Reads the monitor request and answers it with the recorded reply (its id rewritten to the request's).</summary>
    public async Task<JsonDocument> AnswerMonitorAsync(string resultJson, CancellationToken cancellationToken)
    {
        var request = await ReceiveAsync(cancellationToken) ?? throw new IOException("client left before monitor");
        var id = request.RootElement.GetProperty("id").GetRawText();
        await SendAsync($"{{\"id\":{id},\"result\":{resultJson},\"error\":null}}", cancellationToken);
        return request;
    }

    /// <summary>Keeps the connection open and healthy: answers the client's echo probes, swallows anything else.</summary>
    public async Task ServeHealthyAsync(CancellationToken cancellationToken)
    {
        while (await ReceiveAsync(cancellationToken) is { } message)
        {
            using (message)
            {
                var root = message.RootElement;
                if (root.TryGetProperty("method", out var method) && method.GetString() == "echo")
                {
                    await SendAsync($"{{\"id\":{root.GetProperty("id").GetRawText()},\"result\":{root.GetProperty("params").GetRawText()},\"error\":null}}", cancellationToken);
                }
            }
        }
    }

    /// <summary>Keeps the connection open, swallowing what the client sends, until cancelled or the client leaves.</summary>
    public async Task IdleAsync(CancellationToken cancellationToken)
    {
        while (await ReceiveAsync(cancellationToken) is { } message)
        {
            message.Dispose();
        }
    }

    public void Dispose() => _stream.Dispose();
}
