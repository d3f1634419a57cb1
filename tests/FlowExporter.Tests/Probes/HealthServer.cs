using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlowExporter.Tests.Probes;

/// <summary>
/// A real HTTP/1.1 responder on a loopback port for probe tests: answers every request with a fixed status after an
/// optional delay, and counts requests and the most it was answering at once. <see cref="Silent"/> accepts and
/// never answers.
/// </summary>
internal sealed class HealthServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Socket> _held = [];
    private int _requests;
    private int _active;
    private int _maxActive;

    private HealthServer(int status, TimeSpan delay, bool silent)
    {
        Status = status;
        Delay = delay;
        Silent = silent;
        _listener.Start(512);
        _loop = AcceptLoopAsync();
    }

    public int Status { get; set; }

    public TimeSpan Delay { get; }

    public bool Silent { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Requests => Volatile.Read(ref _requests);

    public int MaxConcurrent => Volatile.Read(ref _maxActive);

    public static HealthServer Start(int status = 200, TimeSpan? delay = null, bool silent = false) => new(status, delay ?? TimeSpan.Zero, silent);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        lock (_held)
        {
            foreach (var socket in _held)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            if (Silent)
            {
                lock (_held)
                {
                    _held.Add(socket);
                }

                continue;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var counted = false;
        try
        {
            var buffer = new byte[4096];
            var received = new StringBuilder();
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            Interlocked.Increment(ref _requests);

            // A request counts as active from its arrival to the start of its answer: inside the time the client holds
            // it, so the most seen at once is never more than the client ran at once. (Counting until this task ends
            // would overlap the client's next request, which it may send as soon as it has read this answer.)
            counted = true;
            var active = Interlocked.Increment(ref _active);
            int seen;
            while (active > (seen = Volatile.Read(ref _maxActive)) && Interlocked.CompareExchange(ref _maxActive, active, seen) != seen)
            {
            }

            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, _stop.Token);
            }

            Interlocked.Decrement(ref _active);
            counted = false;
            var body = Status == 200 ? "ok\n" : "failing\n";
            var response = $"HTTP/1.1 {Status} X\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
            await socket.SendAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
        }
        finally
        {
            if (counted)
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
