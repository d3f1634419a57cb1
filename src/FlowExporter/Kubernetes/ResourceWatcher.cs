using System.Net;
using System.Text.Json;
using FlowExporter.Sources;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace FlowExporter.Kubernetes;

/// <summary>
/// List then watch one resource kind, the way client-go's reflector does: list (paged) and replace, then watch from the
/// list's resourceVersion with bookmarks requested, moving the resourceVersion forward on every event and bookmark.
/// A watch that ends is reopened from there; 410 Gone (as an HTTP status or as an ERROR event) means that version is
/// too old, so the watcher lists again. Any other failure (unreachable, 5xx, dropped stream, timeout) is reported and
/// retried after an exponential backoff with jitter, resuming from the last resourceVersion.
/// </summary>
internal sealed class ResourceWatcher<T, TList>
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    private readonly ListCall _call;
    private readonly Action<IReadOnlyList<T>> _replace;
    private readonly Action<WatchEventType, T> _apply;
    private readonly IWatchHealth _health;
    private readonly KubernetesOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Backoff _backoff;

    public ResourceWatcher(
        string resource,
        ListCall call,
        Action<IReadOnlyList<T>> replace,
        Action<WatchEventType, T> apply,
        IWatchHealth health,
        KubernetesOptions options,
        TimeProvider time,
        Random random)
    {
        Resource = resource;
        _call = call;
        _replace = replace;
        _apply = apply;
        _health = health;
        _options = options;
        _time = time;
        _random = random;
        _backoff = new Backoff(options.BackoffInitial, options.BackoffMax, random);
    }

    /// <summary>One call of the generated <c>List...WithHttpMessagesAsync</c> for this kind, as a list or as a watch.</summary>
    public delegate Task<HttpOperationResponse<TList>> ListCall(
        string? resourceVersion, string? continueToken, int? limit, bool watch, int? timeoutSeconds, CancellationToken cancellationToken);

    public string Resource { get; }

    /// <summary>The resourceVersion the next watch resumes from (null before the first list).</summary>
    public string? ResourceVersion { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var mustList = true;
        var lastList = DateTimeOffset.MinValue;
        var expiredInARow = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    ResourceVersion = await ListAsync(cancellationToken).ConfigureAwait(false);
                    lastList = _time.GetUtcNow();
                    mustList = false;
                    _health.Healthy(Resource);
                }

                var expired = await WatchAsync(cancellationToken).ConfigureAwait(false);
                if (expired)
                {
                    throw new ExpiredException();
                }

                expiredInARow = 0;
                if (_options.Resync > TimeSpan.Zero && _time.GetUtcNow() - lastList >= _options.Resync)
                {
                    mustList = true;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is ExpiredException || (ex as HttpOperationException)?.Response?.StatusCode == HttpStatusCode.Gone)
            {
                _health.Expired(Resource);
                mustList = true;
                if (++expiredInARow > 1)
                {
                    await DelayAsync(_backoff.Next(), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                var (reason, message) = Describe(ex, cancellationToken);
                _health.Failed(Resource, reason, $"kubernetes: {Resource}: {message}");
                await DelayAsync(_backoff.Next(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<string?> ListAsync(CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? continueToken = null;
        string? resourceVersion;
        do
        {
            using var deadline = new CancellationTokenSource(_options.RequestTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            using var response = await _call(null, continueToken, _options.ListPageSize, false, null, linked.Token).ConfigureAwait(false);
            var list = response.Body;
            items.AddRange(list.Items ?? []);
            resourceVersion = list.Metadata?.ResourceVersion;
            continueToken = string.IsNullOrEmpty(list.Metadata?.ContinueProperty) ? null : list.Metadata.ContinueProperty;
        }
        while (continueToken is not null);

        _replace(items);
        return string.IsNullOrEmpty(resourceVersion) ? null : resourceVersion;
    }

    /// <summary>Watches until the stream ends; returns true when the server said the resourceVersion is gone.</summary>
    private async Task<bool> WatchAsync(CancellationToken cancellationToken)
    {
        var timeoutSeconds = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds * (1 + _random.NextDouble()));
        var idle = TimeSpan.FromSeconds(timeoutSeconds) + _options.RequestTimeout;
        using var deadline = new CancellationTokenSource(idle, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var expired = false;
        Exception? streamError = null;

        // The client returns the response only once the first line has arrived, and a quiet watch may send nothing
        // for minutes. A watch still open without error after the request timeout counts as established.
        var opening = _call(ResourceVersion, null, null, true, timeoutSeconds, linked.Token);
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(linked.Token))
        {
            var settled = Task.Delay(_options.RequestTimeout, _time, grace.Token);
            if (await Task.WhenAny(opening, settled).ConfigureAwait(false) == settled && settled.IsCompletedSuccessfully)
            {
                _health.Healthy(Resource);
            }

            await grace.CancelAsync().ConfigureAwait(false);
        }

        HttpOperationResponse<TList> response;
        var started = _time.GetTimestamp();
        try
        {
            response = await opening.ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested &&
            ex is JsonException or HttpRequestException { InnerException: EndOfStreamException })
        {
            // The client reads the first line while opening; a watch that the server ends cleanly before any event
            // (its timeoutSeconds ran out on a quiet resource) has none and lands here. That is a normal end, not a
            // failure; only a server that does so at once, over and over, is slowed down by the backoff.
            if (ex is JsonException)
            {
                _health.Failed(Resource, "decode", $"kubernetes: {Resource}: undecodable first watch event: {ex.Message}");
            }

            if (_time.GetElapsedTime(started) < _options.RequestTimeout)
            {
                await DelayAsync(_backoff.Next(), cancellationToken).ConfigureAwait(false);
            }

            return false;
        }

        using var disposeResponse = response;
        _health.Healthy(Resource);
        _backoff.Reset();
        deadline.CancelAfter(idle);

        void OnError(Exception error)
        {
            if (error is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
            {
                expired = true;
                linked.Cancel();
            }
            else if (error is KubernetesException)
            {
                streamError = error;
                linked.Cancel();
            }
            else
            {
                // A line that does not decode: skip it, count it, keep watching.
                _health.Failed(Resource, "decode", $"kubernetes: {Resource}: undecodable watch event: {error.Message}");
            }
        }

        try
        {
#pragma warning disable CS0618 // The task-based WatchAsync is the only form that lets us see the response before the first event.
            var events = Task.FromResult(response).WatchAsync<T, TList>(OnError, linked.Token);
#pragma warning restore CS0618
            await foreach (var (type, item) in events.ConfigureAwait(false))
            {
                deadline.CancelAfter(idle);
                if (type != WatchEventType.Bookmark)
                {
                    Apply(type, item);
                }

                if (item.Metadata?.ResourceVersion is { Length: > 0 } version)
                {
                    ResourceVersion = version;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && (expired || streamError is not null))
        {
            // OnError cancelled the stream: an expired resource version (relist) or an error status (retried).
            return streamError is null ? expired : throw streamError;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no event for {idle.TotalSeconds:0}s");
        }

        if (streamError is not null)
        {
            throw streamError;
        }

        return expired;
    }

    /// <summary>An event that cannot be taken in (no metadata, say) is counted and skipped: resuming would replay it forever.</summary>
    private void Apply(WatchEventType type, T item)
    {
        try
        {
            _apply(type, item);
        }
        catch (Exception ex) when (ex is NullReferenceException or ArgumentException or InvalidOperationException)
        {
            _health.Failed(Resource, "decode", $"kubernetes: {Resource}: unusable {type} event: {ex.Message}");
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        Task.Delay(delay, _time, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private (string Reason, string Message) Describe(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException when !cancellationToken.IsCancellationRequested =>
            ("timeout", $"no answer within {_options.RequestTimeout.TotalSeconds:0.###}s"),
        TimeoutException => ("timeout", ex.Message),
        HttpOperationException { Response: { } response } => ($"http_{(int)response.StatusCode}", $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}"),
        KubernetesException { Status: { } status } => ($"status_{status.Code}", $"watch error {status.Code}: {status.Reason}"),
        HttpRequestException => ("unreachable", ex.Message),
        IOException => ("stream", ex.Message),
        _ => ("error", $"{ex.GetType().Name}: {ex.Message}"),
    };

    private sealed class ExpiredException : Exception
    {
    }
}
