using System.Net;
using System.Net.Sockets;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Snmp;

/// <summary>
/// One UDP socket to one agent. Each attempt sends the request and waits up to the timeout for a datagram the caller
/// accepts (matching request/message ID); anything else (late answers, duplicates, garbage) is dropped. After the last
/// attempt it throws <see cref="SnmpRequestException"/>: timeout, or port unreachable when ICMP said nobody listens.
/// Not for concurrent use: one request at a time per target.
/// </summary>
public sealed class UdpSnmpTransport : ISnmpTransport, IDisposable
{
    private const int MaxDatagram = 65535;
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _timeout;
    private readonly int _retries;
    private readonly TimeProvider _time;
    private readonly byte[] _buffer = new byte[MaxDatagram];
    private Socket? _socket;

    public UdpSnmpTransport(string host, int port, TimeSpan timeout, int retries, TimeProvider time)
    {
        _host = host;
        _port = port;
        _timeout = timeout;
        _retries = retries;
        _time = time;
    }

    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, Func<ReadOnlyMemory<byte>, bool> isAnswer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(isAnswer);
        var socket = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var refused = false;
        for (var attempt = 0; attempt <= _retries; attempt++)
        {
            using var attemptTimeout = new CancellationTokenSource(_timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attemptTimeout.Token);
            try
            {
                await socket.SendAsync(request, SocketFlags.None, linked.Token).ConfigureAwait(false);
                while (true)
                {
                    var received = await socket.ReceiveAsync(_buffer, SocketFlags.None, linked.Token).ConfigureAwait(false);
                    var datagram = _buffer.AsMemory(0, received);
                    if (isAnswer(datagram))
                    {
                        return datagram.ToArray();
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This attempt timed out: send again.
                continue;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is not (SocketError.ConnectionRefused or SocketError.ConnectionReset))
            {
                throw new SnmpRequestException(SnmpFailure.NetworkError, $"{_host}:{_port}: {ex.SocketErrorCode}");
            }
            catch (SocketException)
            {
                // ICMP port unreachable from an earlier send: nobody listens there (yet). Wait out the attempt's time.
                refused = true;
                try
                {
                    await Task.Delay(_timeout, _time, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The attempt's time is out: send again.
                    continue;
                }
            }
        }

        throw refused
            ? new SnmpRequestException(SnmpFailure.PortUnreachable, $"{_host}:{_port} is unreachable (ICMP port unreachable) after {_retries + 1} attempts")
            : new SnmpRequestException(SnmpFailure.Timeout, $"no answer from {_host}:{_port} within {_timeout.TotalSeconds:0.###}s after {_retries + 1} attempts");
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_socket is not null)
        {
            return _socket;
        }

        IPAddress? address;
        try
        {
            address = IPAddress.TryParse(_host, out var parsed)
                ? parsed
                : (await Dns.GetHostAddressesAsync(_host, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        }
        catch (SocketException ex)
        {
            throw new SnmpRequestException(SnmpFailure.UnresolvableAddress, $"{_host} does not resolve: {ex.SocketErrorCode}");
        }

        if (address is null)
        {
            throw new SnmpRequestException(SnmpFailure.UnresolvableAddress, $"{_host} does not resolve");
        }

        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, _port), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new SnmpRequestException(SnmpFailure.NetworkError, $"{_host}:{_port}: {ex.SocketErrorCode}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        return socket;
    }

    public void Dispose() => _socket?.Dispose();
}
