using System.Net;
using System.Net.Sockets;

namespace FlowExporter.Probes;

/// <summary>
/// One HTTP GET of a peer's health endpoint on a fresh connection (<c>Connection: close</c>), so every probe measures
/// name resolution, the TCP handshake and the exchange, and a stopped peer shows at once as a refused connection.
/// Name resolution and connecting happen in our connect callback, where their failures are classified.
/// </summary>
public sealed class HttpProbe : IDisposable
{
    private const int MaxBodyBytes = 64 * 1024;
    private readonly HttpClient _client;
    private readonly ProbeOptions _options;
    private readonly TimeProvider _time;

    public HttpProbe(ProbeOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            PooledConnectionLifetime = TimeSpan.Zero,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri UriOf(ProbeTarget target)
    {
        var host = IPAddress.TryParse(target.Address, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{target.Address}]"
            : target.Address;
        return new Uri($"{_options.Scheme}://{host}:{target.Port}{_options.HttpPath}");
    }

    /// <summary>Probes once, within the probe timeout; never throws except when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task<ProbeOutcome> RunAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var progress = new ProbeProgress();
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, UriOf(target));
        request.Headers.ConnectionClose = true;
        request.Headers.UserAgent.ParseAdd("flowexporter-probe");
        request.Options.Set(ProbeProgress.Key, progress);
        var started = _time.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            await DrainAsync(response, linked.Token).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(started);
            return response.IsSuccessStatusCode
                ? new ProbeOutcome(elapsed, null, progress.Remote, null)
                : new ProbeOutcome(elapsed, ProbeErrorType.Http, progress.Remote, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var type = ProbeClassifier.Classify(ex, timeout.IsCancellationRequested, progress.Phase);
            var detail = timeout.IsCancellationRequested ? $"no answer within {_options.Timeout.TotalSeconds:0.###}s" : Innermost(ex).Message;
            return new ProbeOutcome(_time.GetElapsedTime(started), type, progress.Remote, detail);
        }
    }

    public void Dispose() => _client.Dispose();

    private static async Task DrainAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[4096];
            var total = 0;
            int read;
            while (total < MaxBodyBytes && (read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
        }
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var progress = context.InitialRequestMessage.Options.TryGetValue(ProbeProgress.Key, out var p) ? p : new ProbeProgress();
        var endpoint = context.DnsEndPoint;
        IPAddress[] addresses;
        if (IPAddress.TryParse(endpoint.Host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            progress.Phase = ProbePhase.Resolving;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new ProbeFailedException(ProbeErrorType.Dns, $"{endpoint.Host}: {ex.Message}", ex);
            }

            if (addresses.Length == 0)
            {
                throw new ProbeFailedException(ProbeErrorType.Dns, $"{endpoint.Host}: no addresses");
            }
        }

        progress.Phase = ProbePhase.Connecting;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
            progress.Remote = (socket.RemoteEndPoint as IPEndPoint)?.Address is { } remote && remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : (socket.RemoteEndPoint as IPEndPoint)?.Address;
            progress.Phase = ProbePhase.Exchanging;
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ProbeFailedException(ProbeClassifier.OfConnect(ex.SocketErrorCode), $"{endpoint.Host}:{endpoint.Port}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
