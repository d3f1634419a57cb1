using System.Net.Sockets;
using System.Threading.Channels;
using FlowExporter.Correlator.Netlink;

namespace FlowExporter.Capture.Points;

/// <summary>
/// Follows the links and default routes of one network namespace over rtnetlink: a dump of links then routes, then
/// RTM_NEWLINK/RTM_DELLINK and route events as they come, published as <see cref="LinkWatchUpdate"/>s on a bounded
/// channel. A slow consumer blocks the reader; the kernel then drops messages and reports ENOBUFS, on which the watcher
/// dumps again and publishes the difference (links gone meanwhile are removed), so the picture is never wrong for long.
/// </summary>
internal sealed class RtnetlinkWatcher : IDisposable
{
    public const int DefaultLinkCapacity = 16_384;
    public const int DefaultReceiveBufferBytes = 4 * 1024 * 1024;
    private const int DatagramBytes = 128 * 1024;
    private const int RouteCapacity = 1024;

    private readonly NetlinkSocket _socket;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LinkTable _links;
    private readonly DefaultRouteTable _routes = new(RouteCapacity);
    private readonly Channel<LinkWatchUpdate> _updates = Channel.CreateBounded<LinkWatchUpdate>(
        new BoundedChannelOptions(256) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private long _malformed;
    private long _overruns;
    private uint _sequence;
    private bool _overrunWhileSynchronizing;

    public RtnetlinkWatcher(NetlinkSocket socket, TimeProvider time, ILogger logger, int linkCapacity = DefaultLinkCapacity)
    {
        _socket = socket;
        _time = time;
        _logger = logger;
        _links = new LinkTable(linkCapacity);
    }

    /// <summary>
    /// Opens a socket in the caller's network namespace joined to link and IPv4/IPv6 route events. The receive buffer
    /// is at least 64 KiB: a dump's messages must fit in it, or the kernel reports ENOBUFS for the dump itself and no
    /// resync could ever finish.
    /// </summary>
    public static NetlinkSocket OpenSocket(int receiveBufferBytes = DefaultReceiveBufferBytes) =>
        NetlinkSocket.Open([Rtnetlink.GroupLink, Rtnetlink.GroupIpv4Route, Rtnetlink.GroupIpv6Route], Math.Max(receiveBufferBytes, MinimumReceiveBufferBytes));

    public const int MinimumReceiveBufferBytes = 64 * 1024;

    public ChannelReader<LinkWatchUpdate> Updates => _updates.Reader;

    public long MalformedMessages => Interlocked.Read(ref _malformed);

    /// <summary>How many times the kernel dropped messages for this socket (each followed by a resync).</summary>
    public long Overruns => Interlocked.Read(ref _overruns);

    public long RefusedLinks => _links.Refused;

    /// <summary>Reads until cancelled; completes <see cref="Updates"/> when it stops, with the error if it failed.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[DatagramBytes];
        Exception? failure = null;
        try
        {
            await SynchronizeAsync(buffer, resync: false, cancellationToken);
            while (true)
            {
                while (_overrunWhileSynchronizing)
                {
                    _overrunWhileSynchronizing = false;
                    await SynchronizeAsync(buffer, resync: true, cancellationToken);
                }

                int received;
                try
                {
                    received = await _socket.ReceiveAsync(buffer, cancellationToken);
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
                {
                    Interlocked.Increment(ref _overruns);
                    _logger.LogWarning("rtnetlink: the kernel dropped link events (receive buffer overrun); dumping links and routes again");
                    await SynchronizeAsync(buffer, resync: true, cancellationToken);
                    continue;
                }

                var events = new List<LinkEvent>();
                var uplinksChanged = Apply(buffer.AsSpan(0, received), events, dumpSequence: null, out _);
                await PublishAsync(events, uplinksChanged, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the finally block below closes what is open.
            return;
        }
        catch (Exception error)
        {
            failure = error;
            throw;
        }
        finally
        {
            _updates.Writer.TryComplete(failure);
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Dumps links, then routes (the kernel runs one dump at a time per socket), applying events that interleave.</summary>
    private async Task SynchronizeAsync(byte[] buffer, bool resync, CancellationToken cancellationToken)
    {
        var events = new List<LinkEvent>();
        var uplinksChanged = false;
        if (resync)
        {
            // After an overrun the kernel drops further events silently until the receive queue has been emptied once
            // (NETLINK_S_CONGESTED). Empty it before dumping, so that any drop from now on is reported again.
            uplinksChanged |= Drain(buffer, events);
            _links.BeginResync();
        }

        await DumpAsync(Rtnetlink.GetLink, buffer, events, cancellationToken);
        if (resync)
        {
            events.AddRange(_links.EndResync());
            foreach (var removed in events.OfType<LinkEvent.Removed>())
            {
                uplinksChanged |= _routes.ForgetInterface(removed.Link.Index, removed: true);
            }

            _routes.BeginResync();
        }

        uplinksChanged |= await DumpAsync(Rtnetlink.GetRoute, buffer, events, cancellationToken);
        if (resync)
        {
            uplinksChanged |= _routes.EndResync();
        }

        await PublishAsync(events, uplinksChanged || !resync, cancellationToken, always: true);
    }

    private bool Drain(byte[] buffer, List<LinkEvent> events)
    {
        var uplinksChanged = false;
        while (true)
        {
            var received = _socket.ReceiveNow(buffer);
            if (received == 0)
            {
                return uplinksChanged;
            }

            if (received < 0)
            {
                Interlocked.Increment(ref _overruns);
                continue;
            }

            uplinksChanged |= Apply(buffer.AsSpan(0, received), events, dumpSequence: null, out _);
        }
    }

    private async Task<bool> DumpAsync(ushort type, byte[] buffer, List<LinkEvent> events, CancellationToken cancellationToken)
    {
        var sequence = ++_sequence;
        _socket.RequestDump(type, sequence);
        var uplinksChanged = false;
        var done = false;
        while (!done)
        {
            int received;
            try
            {
                received = await _socket.ReceiveAsync(buffer, cancellationToken);
            }
            catch (SocketException error) when (error.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                // Events were dropped while the dump ran; the dump itself goes on (the kernel fills it as we read).
                // Finish it, then dump again: the dropped events may concern links already dumped.
                Interlocked.Increment(ref _overruns);
                _overrunWhileSynchronizing = true;
                continue;
            }

            uplinksChanged |= Apply(buffer.AsSpan(0, received), events, sequence, out done);
        }

        return uplinksChanged;
    }

    private bool Apply(ReadOnlySpan<byte> datagram, List<LinkEvent> events, uint? dumpSequence, out bool dumpDone)
    {
        dumpDone = false;
        var messages = new List<RtnetlinkMessage>();
        var malformed = RtnetlinkParser.Parse(datagram, messages);
        if (malformed > 0)
        {
            Interlocked.Add(ref _malformed, malformed);
            _logger.LogDebug("rtnetlink: {Count} malformed message(s) skipped", malformed);
        }

        var uplinksChanged = false;
        foreach (var message in messages)
        {
            switch (message)
            {
                case RtnetlinkMessage.Link link:
                    foreach (var change in _links.Apply(link))
                    {
                        events.Add(change);
                        uplinksChanged |= change switch
                        {
                            LinkEvent.Removed removed => _routes.ForgetInterface(removed.Link.Index, removed: true),
                            LinkEvent.Changed { Link.AdminUp: false } down => _routes.ForgetInterface(down.Link.Index, removed: false),
                            _ => false,
                        };
                    }

                    break;
                case RtnetlinkMessage.Route route:
                    uplinksChanged |= _routes.Apply(route);
                    break;
                case RtnetlinkMessage.Done done when done.Sequence == dumpSequence:
                    dumpDone = true;
                    break;
                case RtnetlinkMessage.Error error when error.Sequence == dumpSequence && error.Errno != 0:
                    _logger.LogWarning("rtnetlink: dump {Sequence} failed with errno {Errno}", error.Sequence, error.Errno);
                    dumpDone = true;
                    break;
            }
        }

        return uplinksChanged;
    }

    private async ValueTask PublishAsync(List<LinkEvent> events, bool uplinksChanged, CancellationToken cancellationToken, bool always = false)
    {
        if (events.Count == 0 && !uplinksChanged && !always)
        {
            return;
        }

        var update = new LinkWatchUpdate(events, _links.Links.ToDictionary(), _routes.Uplinks, uplinksChanged, _time.GetTimestamp());
        await _updates.Writer.WriteAsync(update, cancellationToken);
    }
}
