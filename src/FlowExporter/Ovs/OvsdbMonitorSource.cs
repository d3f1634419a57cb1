using System.Buffers;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Ovs;
using FlowExporter.Sources;

namespace FlowExporter.Ovs;

/// <summary>
/// The OVS source in ovsdb mode: a native RFC 7047 JSON-RPC client over the unix socket or TCP. It sends one
/// <c>monitor</c> on the Bridge/Port/Interface columns, applies the initial rows and every <c>update</c> notification to
/// an in-memory <see cref="OvsDatabase"/>, publishes a fresh snapshot after each, answers the server's <c>echo</c>, probes
/// a silent server with its own echo (no answer within the timeout ends the session), and reconnects with the shared
/// <see cref="Backoff"/> (min_backoff doubling to max_backoff, jittered) and a fresh monitor. No process is spawned; a scrape only writes the last snapshot. While disconnected the
/// snapshot is dropped (series absent) and <c>flowexporter_source_up{source="ovs"}</c> is 0.
/// </summary>
public sealed partial class OvsdbMonitorSource : BackgroundService, IOvsSource
{
    private const string MonitorId = "flowexporter";
    private readonly OvsOptions _options;
    private readonly string _node;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly RateLimitedLog _log;
    private readonly ILogger _logger;
    private OvsSnapshot? _latest;
    private long _updatesApplied;

    public OvsdbMonitorSource(OvsOptions options, string node, SourceHealth health, TimeProvider time, ILogger<OvsdbMonitorSource> logger)
    {
        _options = options;
        _node = node;
        _health = health;
        _time = time;
        _logger = logger;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        health.Register(IOvsSource.SourceName);
    }

    public OvsSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>How many table-updates (initial reply included) have been applied since start.</summary>
    public long UpdatesApplied => Interlocked.Read(ref _updatesApplied);

    public void Write(ExpositionWriter writer)
    {
        if (Latest is { } snapshot)
        {
            OvsSeries.Write(writer, snapshot, _node);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(_options.MinBackoff, _options.MaxBackoff);
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = _time.GetTimestamp();
            var established = false;
            try
            {
                await RunSessionAsync(() => established = true, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Volatile.Write(ref _latest, null);
                var reason = ex switch
                {
                    OvsdbSessionException session => session.Reason,
                    OvsdbFormatException => "parse_error",
                    JsonException => "malformed_json",
                    _ => "error",
                };
                // A session that ran for hours did not "take" that long: report the attempt's time only when it never got going.
                _health.Failed(IOvsSource.SourceName, reason, established ? TimeSpan.Zero : _time.GetElapsedTime(started));
                _log.Warn(reason, $"ovs: OVSDB session with {_options.Db} ended ({reason}): {ex.Message}; reconnecting");
            }

            if (established)
            {
                backoff.Reset();
            }

            if (!await backoff.WaitAsync(_time, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task RunSessionAsync(Action onEstablished, CancellationToken stoppingToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var started = _time.GetTimestamp();
        Socket socket;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            connectTimeout.CancelAfter(_options.Timeout);
            try
            {
                socket = await _options.Db.ConnectAsync(connectTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                throw new OvsdbSessionException("connect_timeout", $"connecting took longer than {_options.Timeout.TotalSeconds:0.###}s");
            }
            catch (SocketException ex)
            {
                throw new OvsdbSessionException("connect_failed", $"cannot connect: {ex.SocketErrorCode}", ex);
            }
        }

        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var messages = Channel.CreateBounded<JsonDocument>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var reader = ReadMessagesAsync(stream, messages.Writer, session.Token);
        try
        {
            var database = new OvsDatabase();
            await SendAsync(stream, w => WriteMonitorRequest(w), session.Token).ConfigureAwait(false);
            using (var reply = await ReceiveReplyAsync(stream, messages.Reader, 1, session.Token).ConfigureAwait(false))
            {
                var root = reply.RootElement;
                if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
                {
                    throw new OvsdbSessionException("monitor_error", $"monitor refused: {Shorten(error.GetRawText())}");
                }

                if (!root.TryGetProperty("result", out var result))
                {
                    throw new OvsdbSessionException("protocol_error", "the monitor reply has no result");
                }

                database.ApplyTableUpdates(result);
                Publish(database, started);
            }

            onEstablished();
            LogMonitoring(_logger, _options.Db.Text, database.InterfaceCount);

            await FollowAsync(stream, messages.Reader, database, session.Token).ConfigureAwait(false);
        }
        finally
        {
            await session.CancelAsync().ConfigureAwait(false);
            socket.Dispose();
            // The reader's failure (if any) was already delivered through the channel.
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

            while (messages.Reader.TryRead(out var left))
            {
                left.Dispose();
            }
        }
    }

    private async Task FollowAsync(NetworkStream stream, ChannelReader<JsonDocument> messages, OvsDatabase database, CancellationToken cancellationToken)
    {
        var probeOutstanding = false;
        long probeId = 0;
        while (true)
        {
            var wait = probeOutstanding ? _options.Timeout : _options.ProbeInterval;
            var message = await NextAsync(messages, wait, cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                if (probeOutstanding)
                {
                    throw new OvsdbSessionException("no_answer", $"no answer to an echo within {_options.Timeout.TotalSeconds:0.###}s");
                }

                var id = "probe-" + (++probeId).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await SendAsync(stream, w => WriteEcho(w, id), cancellationToken).ConfigureAwait(false);
                probeOutstanding = true;
                continue;
            }

            using (message)
            {
                probeOutstanding = false;
                await HandleAsync(stream, message.RootElement, database, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(NetworkStream stream, JsonElement message, OvsDatabase database, CancellationToken cancellationToken)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new OvsdbSessionException("protocol_error", "a JSON-RPC message is not an object");
        }

        if (!message.TryGetProperty("method", out var method))
        {
            return; // a reply (to our echo): its arrival is all that matters
        }

        if (method.ValueKind != JsonValueKind.String)
        {
            throw new OvsdbSessionException("protocol_error", "a JSON-RPC method is not a string");
        }

        if (method.ValueEquals("update"))
        {
            if (!message.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Array || parameters.GetArrayLength() != 2)
            {
                throw new OvsdbSessionException("protocol_error", "an update notification without [monitor-id, table-updates]");
            }

            var started = _time.GetTimestamp();
            database.ApplyTableUpdates(parameters[1]);
            Publish(database, started);
        }
        else if (method.ValueEquals("echo"))
        {
            var id = message.TryGetProperty("id", out var idElement) ? idElement.Clone() : default;
            var echoed = message.TryGetProperty("params", out var p) ? p.Clone() : default;
            await SendAsync(stream, w => WriteEchoReply(w, id, echoed), cancellationToken).ConfigureAwait(false);
        }
    }

    private void Publish(OvsDatabase database, long started)
    {
        Volatile.Write(ref _latest, database.ToSnapshot());
        Interlocked.Increment(ref _updatesApplied);
        _health.Succeeded(IOvsSource.SourceName, _time.GetUtcNow(), _time.GetElapsedTime(started));
    }

    private async Task<JsonDocument> ReceiveReplyAsync(NetworkStream stream, ChannelReader<JsonDocument> messages, int id, CancellationToken cancellationToken)
    {
        var asked = _time.GetTimestamp();
        while (true)
        {
            var elapsed = _time.GetElapsedTime(asked);
            var left = elapsed < _options.Timeout ? _options.Timeout - elapsed : TimeSpan.Zero;
            var message = await NextAsync(messages, left, cancellationToken).ConfigureAwait(false)
                ?? throw new OvsdbSessionException("no_answer", $"no answer to monitor within {_options.Timeout.TotalSeconds:0.###}s");
            var root = message.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var replyId) &&
                replyId.ValueKind == JsonValueKind.Number && replyId.TryGetInt32(out var n) && n == id && !root.TryGetProperty("method", out _))
            {
                if (!root.TryGetProperty("result", out _) && !root.TryGetProperty("error", out _))
                {
                    message.Dispose();
                    throw new OvsdbSessionException("protocol_error", "a reply without result or error");
                }

                return message;
            }

            using (message)
            {
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("method", out var method) &&
                    method.ValueKind == JsonValueKind.String && method.ValueEquals("echo"))
                {
                    await HandleAsync(stream, root, new OvsDatabase(), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The next message, or null when none came within <paramref name="wait"/>; rethrows the reader's failure.</summary>
    private static async Task<JsonDocument?> NextAsync(ChannelReader<JsonDocument> messages, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            if (await messages.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && messages.TryRead(out var message))
            {
                return message;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        // The reader completed the channel: with its exception, or cleanly at end of stream.
        await messages.Completion.ConfigureAwait(false);
        throw new OvsdbSessionException("closed", "the server closed the connection");
    }

    private async Task ReadMessagesAsync(NetworkStream stream, ChannelWriter<JsonDocument> messages, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var framer = new JsonMessageFramer(_options.MaxOutputBytes);
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(framer.GetWriteMemory(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    messages.TryComplete();
                    return;
                }

                framer.Advance(read);
                while (framer.TryReadMessage(out var bytes))
                {
                    JsonDocument document;
                    try
                    {
                        document = JsonDocument.Parse(bytes.ToArray());
                    }
                    catch (JsonException ex)
                    {
                        throw new OvsdbSessionException("malformed_json", "a message is not valid JSON: " + ex.Message, ex);
                    }

                    await messages.WriteAsync(document, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            messages.TryComplete();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            messages.TryComplete(new OvsdbSessionException("closed", "the connection failed: " + ex.Message, ex));
        }
        catch (Exception ex)
        {
            messages.TryComplete(ex);
        }
    }

    private async Task SendAsync(NetworkStream stream, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            await stream.WriteAsync(buffer.WrittenMemory, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OvsdbSessionException("no_answer", "the server does not take what is sent");
        }
        catch (IOException ex)
        {
            throw new OvsdbSessionException("closed", "sending failed: " + ex.Message, ex);
        }
    }

    private static void WriteMonitorRequest(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", 1);
        writer.WriteString("method", "monitor");
        writer.WriteStartArray("params");
        writer.WriteStringValue(OvsColumns.Database);
        writer.WriteStringValue(MonitorId);
        writer.WriteStartObject();
        WriteTable(writer, "Bridge", OvsColumns.Bridge);
        WriteTable(writer, "Port", OvsColumns.Port);
        WriteTable(writer, "Interface", OvsColumns.Interface);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteTable(Utf8JsonWriter writer, string table, IReadOnlyList<string> columns)
    {
        writer.WriteStartObject(table);
        writer.WriteStartArray("columns");
        foreach (var column in columns)
        {
            writer.WriteStringValue(column);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteEcho(Utf8JsonWriter writer, string id)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("method", "echo");
        writer.WriteStartArray("params");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteEchoReply(Utf8JsonWriter writer, JsonElement id, JsonElement parameters)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("id");
        if (id.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            id.WriteTo(writer);
        }

        writer.WritePropertyName("result");
        if (parameters.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
        }
        else
        {
            parameters.WriteTo(writer);
        }

        writer.WriteNull("error");
        writer.WriteEndObject();
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "..." : text;

    [LoggerMessage(Level = LogLevel.Information, Message = "ovs: monitoring {Db}: {Interfaces} interfaces")]
    private static partial void LogMonitoring(ILogger logger, string db, int interfaces);
}
