using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Sources;
using Prometheus;

namespace FlowExporter.Ipfix;

/// <summary>
/// One collector: a bounded queue the connection table writes into without waiting (a full queue drops the record,
/// counted), and a loop that packs records into messages and sends them. UDP sends without a connection (a collector
/// not listening loses nothing here: records count as sent); TCP connects with backoff, sends the templates on each
/// connection, and while it is down records count as dropped. A send that does not finish within the send timeout
/// closes the TCP connection (a collector that stopped reading costs the queue's memory, no more).
/// </summary>
public sealed partial class IpfixCollector : IAsyncDisposable
{
    private readonly IpfixCollectorAddress _address;
    private readonly IpfixOptions _options;
    private readonly FlowRecordNamer _namer;
    private readonly TimeProvider _clock;
    private readonly bool _fileTime;
    private readonly bool _waitWhenFull;
    private readonly ILogger _log;
    private readonly SourceHealth? _health;
    private readonly string _label;
    private readonly Channel<FlowRecord> _queue;
    private readonly IpfixMessageWriter _writer;
    private readonly Backoff _backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random());
    private readonly Counter.Child _sent;
    private readonly Counter.Child _queueFull;
    private readonly Counter.Child _notConnected;
    private readonly Counter.Child _sendFailed;
    private readonly Counter.Child _messages;
    private readonly Counter.Child _bytes;
    private readonly Gauge.Child _up;
    private readonly Gauge.Child _queued;
    private Socket? _socket;
    private EndPoint? _endpoint;
    private DateTimeOffset _nextAttempt;
    private DateTimeOffset _lastTemplates;
    private int _messagesSinceTemplates;
    private bool _templatesDue = true;
    private bool? _isUp;
    private long _latestEnd;

    /// <param name="fileTime">Replay: message export times are the records' capture times, not the clock.</param>
    /// <param name="waitWhenFull">Replay: a full queue makes the producer wait instead of dropping.</param>
    public IpfixCollector(
        IpfixCollectorAddress address, IpfixOptions options, FlowRecordNamer namer, IpfixMetrics metrics, TimeProvider clock, ILogger log, bool fileTime = false, bool waitWhenFull = false, SourceHealth? health = null)
    {
        _address = address;
        _options = options;
        _namer = namer;
        _clock = clock;
        _fileTime = fileTime;
        _waitWhenFull = waitWhenFull;
        _log = log;
        _queue = Channel.CreateBounded<FlowRecord>(new BoundedChannelOptions(options.QueueSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _writer = new IpfixMessageWriter(options.ObservationDomainId, options.EnterpriseNumber, options.MaxMessageSize);
        var label = address.ToString();
        _label = label;
        _health = health;
        _health?.RegisterInstance(IpfixExporter.SourceName, label);
        _sent = metrics.Records.WithLabels(label, IpfixMetrics.Sent);
        _queueFull = metrics.Records.WithLabels(label, IpfixMetrics.QueueFull);
        _notConnected = metrics.Records.WithLabels(label, IpfixMetrics.NotConnected);
        _sendFailed = metrics.Records.WithLabels(label, IpfixMetrics.SendFailed);
        _messages = metrics.Messages.WithLabels(label);
        _bytes = metrics.Bytes.WithLabels(label);
        _up = metrics.Up.WithLabels(label);
        _queued = metrics.Queued.WithLabels(label);
        _up.Set(0);
    }

    public IpfixCollectorAddress Address => _address;

    /// <summary>Queues a record without waiting (unless made to wait for replay); a full queue drops it, counted.</summary>
    public void Enqueue(in FlowRecord record)
    {
        if (_queue.Writer.TryWrite(record))
        {
            return;
        }

        if (_waitWhenFull)
        {
            _queue.Writer.WriteAsync(record).AsTask().GetAwaiter().GetResult();
            return;
        }

        _queueFull.Inc();
    }

    /// <summary>No more records: the loop sends what is queued and ends.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await EnsureReadyAsync(cancellationToken).ConfigureAwait(false))
                {
                    var dropped = 0;
                    while (reader.TryRead(out _))
                    {
                        dropped++;
                    }

                    _notConnected.Inc(dropped);
                    _queued.Set(0);

                    // Until the next attempt, records that arrive are dropped as they come (the queue never stays full,
                    // so replay, which waits for room, is not held up by a collector that is down).
                    var wait = _nextAttempt - _clock.GetUtcNow();
                    if (wait > TimeSpan.Zero)
                    {
                        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        attempt.CancelAfter(wait);
                        try
                        {
                            await reader.WaitToReadAsync(attempt.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            // Time for the next attempt.
                            continue;
                        }
                    }

                    continue;
                }

                await SendQueuedAsync(reader, cancellationToken).ConfigureAwait(false);
                _queued.Set(reader.Count);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the finally block below completes the queue.
            return;
        }
        finally
        {
            CloseSocket();
        }
    }

    public ValueTask DisposeAsync()
    {
        Complete();
        CloseSocket();
        return ValueTask.CompletedTask;
    }

    private async Task SendQueuedAsync(ChannelReader<FlowRecord> reader, CancellationToken cancellationToken)
    {
        while (reader.TryRead(out var record))
        {
            StartMessageIfEmpty();
            var names = _namer.Name(record);
            if (!_writer.TryAdd(record, names))
            {
                if (!await SendMessageAsync(cancellationToken).ConfigureAwait(false))
                {
                    _sendFailed.Inc();
                    return;
                }

                StartMessageIfEmpty();
                _writer.TryAdd(record, names);
            }

            _latestEnd = Math.Max(_latestEnd, record.EndNanoseconds);
        }

        if (_writer.RecordCount > 0)
        {
            await SendMessageAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void StartMessageIfEmpty()
    {
        if (!_writer.IsEmpty)
        {
            return;
        }

        var now = _clock.GetUtcNow();
        if (_templatesDue
            || (_address.Transport == IpfixTransport.Udp
                && (now - _lastTemplates >= _options.TemplateRefresh || _messagesSinceTemplates >= _options.TemplateRefreshMessages)))
        {
            _writer.AddTemplates();
            _templatesDue = false;
            _lastTemplates = now;
            _messagesSinceTemplates = 0;
        }
    }

    /// <summary>Sends the message being built; false (its records counted dropped, TCP closed) when the send failed.</summary>
    private async Task<bool> SendMessageAsync(CancellationToken cancellationToken)
    {
        var records = _writer.RecordCount;
        var exportTime = _fileTime ? _latestEnd / 1_000_000_000 : _clock.GetUtcNow().ToUnixTimeSeconds();
        var message = _writer.Finish(exportTime);
        _messagesSinceTemplates++;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            if (_address.Transport == IpfixTransport.Udp)
            {
                await _socket!.SendToAsync(message, SocketFlags.None, _endpoint!, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                var sent = 0;
                while (sent < message.Length)
                {
                    sent += await _socket!.SendAsync(message[sent..], SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            _sendFailed.Inc(records);
            Disconnected(
                ex is OperationCanceledException ? $"send timed out after {_options.SendTimeout.TotalSeconds:0.###}s" : ex.Message,
                ex is OperationCanceledException ? SendTimeout : SendFailed);
            return false;
        }

        _sent.Inc(records);
        _messages.Inc();
        _bytes.Inc(message.Length);
        return true;
    }

    /// <summary>Resolves (and for TCP connects) when needed; false while the collector cannot be reached.</summary>
    private async Task<bool> EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (_socket is not null)
        {
            return true;
        }

        if (_clock.GetUtcNow() < _nextAttempt)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SendTimeout);
        Socket? socket = null;
        try
        {
            var address = IPAddress.TryParse(_address.Host, out var literal)
                ? literal
                : (await Dns.GetHostAddressesAsync(_address.Host, timeout.Token).ConfigureAwait(false)).FirstOrDefault()
                    ?? throw new SocketException((int)SocketError.HostNotFound);
            var endpoint = new IPEndPoint(address, _address.Port);
            if (_address.Transport == IpfixTransport.Udp)
            {
                socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            }
            else
            {
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            }

            _socket = socket;
            _endpoint = endpoint;
            _templatesDue = true;
            _backoff.Reset();
            _up.Set(1);
            if (_isUp != true)
            {
                _isUp = true;
                _health?.InstanceSucceeded(IpfixExporter.SourceName, _label, _clock.GetUtcNow(), TimeSpan.Zero);
                LogUp(_log, _address.ToString(), endpoint.ToString());
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket?.Dispose();
            Disconnected(
                ex is OperationCanceledException ? $"connect timed out after {_options.SendTimeout.TotalSeconds:0.###}s" : ex.Message,
                ex is OperationCanceledException ? ConnectTimeout : ConnectFailed);
            return false;
        }
    }

    /// <param name="reason">The log line's reason (an exception message: never a label).</param>
    /// <param name="errorReason">The bounded reason counted in <c>flowexporter_source_errors_total{source="ipfix"}</c>.</param>
    private void Disconnected(string reason, string errorReason)
    {
        // Every failed attempt is an error; backoff bounds how often one is counted.
        _health?.InstanceFailed(IpfixExporter.SourceName, _label, errorReason, TimeSpan.Zero);
        CloseSocket();
        _up.Set(0);
        var delay = _backoff.Next();
        _nextAttempt = _clock.GetUtcNow() + delay;
        if (_isUp != false)
        {
            _isUp = false;
            LogDown(_log, _address.ToString(), reason, delay.TotalSeconds);
        }
    }

    private const string ConnectFailed = "connect_failed";
    private const string ConnectTimeout = "connect_timeout";
    private const string SendFailed = "send_failed";
    private const string SendTimeout = "send_timeout";

    private void CloseSocket()
    {
        _socket?.Dispose();
        _socket = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "IPFIX collector {Collector} up ({Endpoint})")]
    private static partial void LogUp(ILogger logger, string collector, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IPFIX collector {Collector} down: {Reason}; records to it are dropped until it is back (next try in {Delay:0.#}s)")]
    private static partial void LogDown(ILogger logger, string collector, string reason, double delay);
}
