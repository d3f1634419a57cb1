using System.Threading.Channels;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Endpoints;
using FlowExporter.Sources;
using k8s;
using k8s.Models;

namespace FlowExporter.Kubernetes;

/// <summary>
/// NetworkEndpoint metadata from the Kubernetes API: Pods, Services, and (only to name workloads) ReplicaSets and Jobs,
/// each listed then watched by a <see cref="ResourceWatcher{T, TList}"/>. Events update a <see cref="ClusterState"/>;
/// changes are batched into a new immutable <see cref="EndpointIndex"/> at most every publish interval.
/// <c>flowexporter_source_up{source="kubernetes"}</c> is 1 while every kind has been listed and none is failing.
/// </summary>
public sealed class KubernetesSource : BackgroundService, IEndpointIndexSource, IMetricsContributor, IWatchHealth
{
    public const string SourceName = "kubernetes";

    private static readonly MetricFamily Objects = new(
        "flowexporter_kubernetes_objects", MetricType.Gauge, "Kubernetes objects held in memory, by kind.");

    private static readonly MetricFamily Dropped = new(
        "flowexporter_kubernetes_objects_dropped_total", MetricType.Counter, "Kubernetes objects ignored because their kind was at its cap, by kind.");

    private static readonly MetricFamily RetainedCount = new(
        "flowexporter_kubernetes_retained_endpoints", MetricType.Gauge, "Pods gone from the API whose labels are still kept for live connections.");

    private static readonly MetricFamily RetainedEvicted = new(
        "flowexporter_kubernetes_retained_evicted_total", MetricType.Counter, "Retained pods dropped before their grace period ended because the table was full.");

    private static readonly MetricFamily Relists = new(
        "flowexporter_kubernetes_relists_total", MetricType.Counter, "Lists forced by 410 Gone (the watched resourceVersion expired), by kind.");

    private static readonly string[] Kinds = [ClusterState.Pods, ClusterState.Services, ClusterState.ReplicaSets, ClusterState.Jobs];

    private readonly IKubernetes _client;
    private readonly KubernetesOptions _options;
    private readonly SourceHealth _health;
    private readonly TimeProvider _time;
    private readonly RateLimitedLog _log;
    private readonly Lock _gate = new();
    private readonly ClusterState _state;
    private readonly Dictionary<string, bool?> _healthy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _relists = new(StringComparer.Ordinal);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<Func<CancellationToken, Task>> _watchers = [];
    private EndpointIndex _current = EndpointIndex.Empty;
    private TimeSpan _lastBuild;
    private Stats _stats = new(new Dictionary<string, long>(), new Dictionary<string, long>(), 0, 0, new Dictionary<string, long>());

    public KubernetesSource(
        IKubernetes client,
        KubernetesOptions options,
        SourceHealth health,
        TimeProvider time,
        ILogger<KubernetesSource> logger,
        IEnumerable<IPodListener>? podListeners = null)
    {
        var listeners = podListeners?.ToArray() ?? [];
        _client = client;
        _options = options;
        _health = health;
        _time = time;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        _state = new ClusterState(options.MaxObjectsPerKind, new RetainedEndpoints(options.Retention, options.MaxRetained));
        foreach (var kind in Kinds)
        {
            _healthy[kind] = null;
            _relists[kind] = 0;
        }

        health.Register(SourceName);
        var random = new Random();
        var podFields = options.NodeFilter is null ? null : $"spec.nodeName={options.NodeFilter}";

        Add(new ResourceWatcher<V1Pod, V1PodList>(
            ClusterState.Pods,
            (rv, cont, limit, watch, timeout, ct) => _client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: watch ? true : null, continueParameter: cont, fieldSelector: podFields, limit: limit,
                resourceVersion: rv, timeoutSeconds: timeout, watch: watch ? true : null, cancellationToken: ct),
            items =>
            {
                Update(state => state.ReplacePods(items.Select(KubernetesObjects.ToRecord), _time.GetUtcNow()));
                foreach (var listener in listeners)
                {
                    listener.Replaced(items);
                }
            },
            (type, pod) =>
            {
                foreach (var listener in listeners)
                {
                    if (type == WatchEventType.Deleted)
                    {
                        listener.Deleted(pod);
                    }
                    else
                    {
                        listener.Upserted(pod);
                    }
                }

                Update(state =>
            {
                if (type == WatchEventType.Deleted)
                {
                    state.DeletePod(pod.Metadata.NamespaceProperty ?? string.Empty, pod.Metadata.Name ?? string.Empty, _time.GetUtcNow());
                }
                else
                {
                    state.UpsertPod(KubernetesObjects.ToRecord(pod), _time.GetUtcNow());
                }
            });
            },
            this,
            options,
            time,
            random));

        Add(new ResourceWatcher<V1Service, V1ServiceList>(
            ClusterState.Services,
            (rv, cont, limit, watch, timeout, ct) => _client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: watch ? true : null, continueParameter: cont, limit: limit,
                resourceVersion: rv, timeoutSeconds: timeout, watch: watch ? true : null, cancellationToken: ct),
            items => Update(state => state.ReplaceServices(items.Select(KubernetesObjects.ToRecord))),
            (type, service) => Update(state =>
            {
                if (type == WatchEventType.Deleted)
                {
                    state.DeleteService(service.Metadata.NamespaceProperty ?? string.Empty, service.Metadata.Name ?? string.Empty);
                }
                else
                {
                    state.UpsertService(KubernetesObjects.ToRecord(service));
                }
            }),
            this,
            options,
            time,
            random));

        Add(new ResourceWatcher<V1ReplicaSet, V1ReplicaSetList>(
            ClusterState.ReplicaSets,
            (rv, cont, limit, watch, timeout, ct) => _client.AppsV1.ListReplicaSetForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: watch ? true : null, continueParameter: cont, limit: limit,
                resourceVersion: rv, timeoutSeconds: timeout, watch: watch ? true : null, cancellationToken: ct),
            items => Update(state => state.ReplaceReplicaSets(items.Select(KubernetesObjects.ToRecord))),
            (type, replicaSet) => Update(state =>
            {
                if (type == WatchEventType.Deleted)
                {
                    state.DeleteReplicaSet(replicaSet.Metadata.NamespaceProperty ?? string.Empty, replicaSet.Metadata.Name ?? string.Empty);
                }
                else
                {
                    state.UpsertReplicaSet(KubernetesObjects.ToRecord(replicaSet));
                }
            }),
            this,
            options,
            time,
            random));

        Add(new ResourceWatcher<V1Job, V1JobList>(
            ClusterState.Jobs,
            (rv, cont, limit, watch, timeout, ct) => _client.BatchV1.ListJobForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: watch ? true : null, continueParameter: cont, limit: limit,
                resourceVersion: rv, timeoutSeconds: timeout, watch: watch ? true : null, cancellationToken: ct),
            items => Update(state => state.ReplaceJobs(items.Select(KubernetesObjects.ToRecord))),
            (type, job) => Update(state =>
            {
                if (type == WatchEventType.Deleted)
                {
                    state.DeleteJob(job.Metadata.NamespaceProperty ?? string.Empty, job.Metadata.Name ?? string.Empty);
                }
                else
                {
                    state.UpsertJob(KubernetesObjects.ToRecord(job));
                }
            }),
            this,
            options,
            time,
            random));
    }

    /// <summary>The latest published index (lock-free).</summary>
    public EndpointIndex Current => Volatile.Read(ref _current);

    /// <summary>Whether every kind has been listed and none is failing now.</summary>
    public bool IsUp
    {
        get
        {
            lock (_gate)
            {
                return AllHealthy();
            }
        }
    }

    public void Write(ExpositionWriter writer)
    {
        var stats = Volatile.Read(ref _stats);
        if (stats.Objects.Count == 0)
        {
            return;
        }

        WritePerKind(writer, Objects, stats.Objects);
        WritePerKind(writer, Dropped, stats.Dropped);
        WritePerKind(writer, Relists, stats.Relists);
        writer.Family(RetainedCount);
        writer.BeginSample(RetainedCount);
        writer.Value(stats.Retained);
        writer.Family(RetainedEvicted);
        writer.BeginSample(RetainedEvicted);
        writer.Value(stats.RetainedEvicted);
    }

    void IWatchHealth.Healthy(string resource)
    {
        bool allHealthy;
        lock (_gate)
        {
            _healthy[resource] = true;
            allHealthy = AllHealthy();
        }

        if (allHealthy)
        {
            _health.Succeeded(SourceName, _time.GetUtcNow(), TimeSpan.Zero);
        }
    }

    void IWatchHealth.Failed(string resource, string reason, string message)
    {
        bool stillUp;
        lock (_gate)
        {
            // An event that does not decode is counted and skipped; the watch itself is fine.
            if (reason != "decode")
            {
                _healthy[resource] = false;
            }

            stillUp = AllHealthy();
        }

        _health.Failed(SourceName, reason, TimeSpan.Zero);
        if (stillUp)
        {
            _health.Succeeded(SourceName, _time.GetUtcNow(), TimeSpan.Zero);
        }

        _log.Warn($"{resource}:{reason}", message);
    }

    void IWatchHealth.Expired(string resource)
    {
        lock (_gate)
        {
            _relists[resource]++;
        }

        _log.Warn($"{resource}:expired", $"kubernetes: {resource}: resourceVersion expired (410 Gone), listing again");
        Signal();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tasks = new List<Task>(_watchers.Count + 1) { PublishLoopAsync(stoppingToken) };
        foreach (var watcher in _watchers)
        {
            tasks.Add(Task.Run(() => watcher(stoppingToken), stoppingToken));
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
    }

    private void Add<T, TList>(ResourceWatcher<T, TList> watcher)
        where T : IKubernetesObject<V1ObjectMeta>
        where TList : IKubernetesObject<V1ListMeta>, IItems<T> =>
        _watchers.Add(watcher.RunAsync);

    private bool AllHealthy()
    {
        foreach (var state in _healthy.Values)
        {
            if (state != true)
            {
                return false;
            }
        }

        return true;
    }

    private void Update(Action<ClusterState> change)
    {
        lock (_gate)
        {
            change(_state);
        }

        Signal();
    }

    private void Signal() => _changed.Writer.TryWrite(true);

    /// <summary>Publishes a new index after changes (batched over the publish interval) and when retained pods expire.</summary>
    private async Task PublishLoopAsync(CancellationToken stoppingToken)
    {
        var tick = _options.Retention > TimeSpan.Zero && _options.Retention < TimeSpan.FromSeconds(10)
            ? _options.Retention
            : TimeSpan.FromSeconds(10);
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var wait = new CancellationTokenSource(tick, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, wait.Token))
            {
                try
                {
                    await _changed.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);

                    // A large cluster's build takes a while (about 0.3-0.7s for 100,000 pods): under constant churn,
                    // wait at least four builds' time so that rebuilding never takes more than a fifth of a core.
                    var pause = TimeSpan.FromTicks(Math.Max(_options.PublishInterval.Ticks, _lastBuild.Ticks * 4));
                    await Task.Delay(pause, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The periodic tick: rebuild (as after a change; the read below takes this signal) so that retained
                    // pods past their grace period leave.
                    Signal();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            _changed.Reader.TryRead(out _);
            Publish();
        }
    }

    /// <summary>Builds and publishes a new index now.</summary>
    internal void Publish()
    {
        lock (_gate)
        {
            var started = _time.GetTimestamp();
            var index = _state.Build(_time.GetUtcNow());
            _lastBuild = _time.GetElapsedTime(started);
            Volatile.Write(ref _current, index);
            Volatile.Write(ref _stats, new Stats(
                new Dictionary<string, long>
                {
                    [ClusterState.Pods] = _state.PodCount,
                    [ClusterState.Services] = _state.ServiceCount,
                    [ClusterState.ReplicaSets] = _state.ReplicaSetCount,
                    [ClusterState.Jobs] = _state.JobCount,
                },
                new Dictionary<string, long>(_state.Dropped),
                _state.Retained.Count,
                _state.Retained.Evicted,
                new Dictionary<string, long>(_relists)));
        }
    }

    private static void WritePerKind(ExpositionWriter writer, MetricFamily family, IReadOnlyDictionary<string, long> values)
    {
        writer.Family(family);
        foreach (var kind in Kinds)
        {
            writer.BeginSample(family);
            writer.Label("kind"u8, kind);
            writer.Value(values.GetValueOrDefault(kind));
        }
    }

    private sealed record Stats(
        IReadOnlyDictionary<string, long> Objects,
        IReadOnlyDictionary<string, long> Dropped,
        long Retained,
        long RetainedEvicted,
        IReadOnlyDictionary<string, long> Relists);
}
