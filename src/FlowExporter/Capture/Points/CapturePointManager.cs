using System.Threading.Channels;
using FlowExporter.Correlator.CapturePoints;
using FlowExporter.Correlator.Netlink;

namespace FlowExporter.Capture.Points;

/// <summary>
/// Keeps the open captures equal to the desired set: after every link update (rtnetlink) or OVS pod-port update, it
/// plans (<see cref="DesiredSetPlanner"/>), reconciles (<see cref="CapturePointReconciler"/>) and closes then opens
/// through the <see cref="ICapturePointOpener"/>. Event driven, so a new link is opened as soon as its update arrives and
/// a deleted one closed with one info line. There is no retry timer: a failed open is tried again only when that link
/// changes (for example goes down and up), and a gone link is simply never seen again.
/// </summary>
internal sealed class CapturePointManager : IAsyncDisposable
{
    private readonly CaptureSelectors _selectors;
    private readonly CapturePointPolicy _policy;
    private readonly ICapturePointOpener _opener;
    private readonly ILogger _logger;
    private readonly Func<CapturePointKey, bool> _linkExists;
    private readonly Dictionary<CapturePointKey, (PlannedPoint Point, ICapturePointHandle Handle)> _open = [];
    private readonly HashSet<CapturePointKey> _failed = [];
    private readonly HashSet<CapturePointKey> _loggedOverLimit = [];
    private readonly Channel<IReadOnlySet<string>> _podPorts = Channel.CreateBounded<IReadOnlySet<string>>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private IReadOnlyDictionary<int, LinkInfo> _links = new Dictionary<int, LinkInfo>();
    private IReadOnlySet<int> _uplinks = new HashSet<int>();
    private IReadOnlySet<string> _currentPodPorts = new HashSet<string>();
    private bool _haveLinks;
    private bool _loggedEmptySelectors;
    private long _opens;
    private long _closes;
    private long _failedOpens;

    /// <param name="linkExists">Whether a link of that index and name exists now (by default, asked of the kernel).</param>
    public CapturePointManager(CaptureSelectors selectors, CapturePointPolicy policy, ICapturePointOpener opener, ILogger logger, Func<CapturePointKey, bool>? linkExists = null)
    {
        _selectors = selectors;
        _policy = policy;
        _opener = opener;
        _logger = logger;
        _linkExists = linkExists ?? (key => NetlinkNative.IfNameToIndex(key.Name) == (uint)key.Index);
    }

    public CapturePointStatus Status { get; private set; } = CapturePointStatus.Empty;

    /// <summary>True once the first picture of the links has been planned: before it, a missing name is not yet known to be missing.</summary>
    public bool Synchronized => !ReferenceEquals(Status, CapturePointStatus.Empty);

    public long Opens => Interlocked.Read(ref _opens);

    public long Closes => Interlocked.Read(ref _closes);

    public long FailedOpens => Interlocked.Read(ref _failedOpens);

    /// <summary>The OVS source's latest pod-port names (<see cref="OvsPodPorts.From"/>); only the newest one matters.</summary>
    public void UpdateOvsPodPorts(IReadOnlySet<string> names) => _podPorts.Writer.TryWrite(names);

    /// <summary>Applies updates until <paramref name="links"/> completes or cancellation; closes every point when it stops.</summary>
    public async Task RunAsync(ChannelReader<LinkWatchUpdate> links, CancellationToken cancellationToken)
    {
        try
        {
            var linkWait = links.WaitToReadAsync(cancellationToken).AsTask();
            var podWait = _podPorts.Reader.WaitToReadAsync(cancellationToken).AsTask();
            while (true)
            {
                await Task.WhenAny(linkWait, podWait);
                var changed = false;
                if (linkWait.IsCompleted)
                {
                    if (!await linkWait)
                    {
                        break;
                    }

                    while (links.TryRead(out var update))
                    {
                        _links = update.Links;
                        _uplinks = update.Uplinks;
                        _haveLinks = true;
                        changed = true;
                        foreach (var linkEvent in update.Events)
                        {
                            ForgetFailure(linkEvent);
                        }
                    }

                    linkWait = links.WaitToReadAsync(cancellationToken).AsTask();
                }

                if (podWait.IsCompleted)
                {
                    await podWait;
                    while (_podPorts.Reader.TryRead(out var names))
                    {
                        _currentPodPorts = names;
                        changed = true;
                    }

                    podWait = _podPorts.Reader.WaitToReadAsync(cancellationToken).AsTask();
                }

                if (changed && _haveLinks)
                {
                    await ReconcileAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the finally block below closes what is open.
            return;
        }
        finally
        {
            await CloseAllAsync();
        }
    }

    public async ValueTask DisposeAsync() => await CloseAllAsync();

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var desired = DesiredSetPlanner.Plan(_selectors, _policy, _links.Values, _currentPodPorts, _uplinks);
        var decisions = CapturePointReconciler.Reconcile(_open.Keys.ToHashSet(), desired, _links);
        foreach (var decision in decisions)
        {
            switch (decision)
            {
                case CapturePointDecision.Close close:
                    await CloseAsync(close.Point, close.Reason);
                    break;
                case CapturePointDecision.Open open:
                    await OpenAsync(open.Point, cancellationToken);
                    break;
            }
        }

        LogOverLimit(desired);
        if (!_loggedEmptySelectors)
        {
            _loggedEmptySelectors = true;
            foreach (var (label, count) in desired.PointsBySelector.Where(s => s.Value == 0))
            {
                _logger.LogWarning("capture point selector '{Selector}' matches no interface yet (points by selector: {Count})", label, count);
            }
        }

        Status = new CapturePointStatus(
            [.. _open.Values.Select(o => o.Point).OrderBy(p => p.Index)],
            desired.Waiting,
            desired.OverLimit.Count,
            [.. _failed],
            desired.PointsBySelector);
    }

    private async Task OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
    {
        var link = _links.GetValueOrDefault(point.Index);
        if (_failed.Contains(point.Key))
        {
            return;
        }

        try
        {
            var handle = await _opener.OpenAsync(point, cancellationToken);
            _open[point.Key] = (point, handle);
            _failed.Remove(point.Key);
            Interlocked.Increment(ref _opens);
            _logger.LogInformation(
                "capture point {Interface} (ifindex {Index}) opened as {Role} with a {BufferBytes}-byte ring, chosen by {Selectors}",
                point.Name, point.Index, point.Role, point.BufferBytes, string.Join(", ", point.Selectors));
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failedOpens);
            if (link is not null)
            {
                _failed.Add(point.Key);
            }

            _logger.LogWarning("capture point {Interface} (ifindex {Index}) could not be opened (tried again when the link changes): {Error}", point.Name, point.Index, error.Message);
        }
    }

    private async Task CloseAsync(CapturePointKey key, CloseReason reason)
    {
        if (!_open.Remove(key, out var entry))
        {
            return;
        }

        Interlocked.Increment(ref _closes);
        try
        {
            await entry.Handle.DisposeAsync();
        }
        catch (Exception error)
        {
            _logger.LogDebug("capture point {Interface} closing: {Error}", key.Name, error.Message);
        }

        // Deleting a link first takes it down (RTM_NEWLINK, down) and then deletes it (RTM_DELLINK): a point closed on
        // the first is said gone when its link is no longer there, so that the one line says what happened.
        if (reason == CloseReason.Down && !_linkExists(key))
        {
            reason = CloseReason.Gone;
        }

        _logger.LogInformation("capture point {Interface} (ifindex {Index}) closed: {Reason}", key.Name, key.Index, Describe(reason));
    }

    private async Task CloseAllAsync()
    {
        foreach (var key in _open.Keys.ToList())
        {
            await CloseAsync(key, CloseReason.Deselected);
        }
    }

    /// <summary>Any event for a link makes a failed open worth one more try; a removed link's over-limit log is forgotten.</summary>
    private void ForgetFailure(LinkEvent linkEvent)
    {
        var key = new CapturePointKey(linkEvent.Link.Index, linkEvent.Link.Name);
        _failed.Remove(key);
        if (linkEvent is LinkEvent.Changed changed)
        {
            _failed.Remove(new CapturePointKey(changed.Previous.Index, changed.Previous.Name));
        }

        if (linkEvent is LinkEvent.Removed)
        {
            _loggedOverLimit.Remove(key);
        }
    }

    private void LogOverLimit(DesiredSet desired)
    {
        foreach (var point in desired.OverLimit)
        {
            if (_loggedOverLimit.Count < _policy.MaxPoints && _loggedOverLimit.Add(point.Key))
            {
                _logger.LogWarning("capture point {Interface} matches but is over capture.max_points ({Max}): not opened", point.Name, _policy.MaxPoints);
            }
        }
    }

    private static string Describe(CloseReason reason) => reason switch
    {
        CloseReason.Gone => "the link is gone (deleted, renamed or moved to another namespace)",
        CloseReason.Down => "the link is down (opened again when it comes up)",
        _ => "no longer selected",
    };
}
