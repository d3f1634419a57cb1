namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// The Kubernetes objects metadata keeps (only the fields it uses), fed by list and watch events, and the
/// <see cref="EndpointIndex"/> built from them. Each kind is capped at <see cref="MaxObjectsPerKind"/>: objects beyond
/// the cap are ignored and counted in <see cref="Dropped"/>. A pod that is deleted, finishes, or vanishes from a relist
/// goes to <see cref="Retained"/>. Single writer, not thread-safe; time is passed in.
/// </summary>
public sealed class ClusterState
{
    public const string Pods = "pods";
    public const string Services = "services";
    public const string ReplicaSets = "replicasets";
    public const string Jobs = "jobs";

    private readonly Dictionary<string, PodEntry> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceRecord> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnedObject> _replicaSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnedObject> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _dropped = new(StringComparer.Ordinal)
    {
        [Pods] = 0,
        [Services] = 0,
        [ReplicaSets] = 0,
        [Jobs] = 0,
    };

    private long _sequence;
    private long _ownersGeneration;

    public ClusterState(int maxObjectsPerKind, RetainedEndpoints retained)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxObjectsPerKind);
        MaxObjectsPerKind = maxObjectsPerKind;
        Retained = retained;
    }

    public int MaxObjectsPerKind { get; }

    public RetainedEndpoints Retained { get; }

    /// <summary>Objects ignored because their kind was at its cap, by kind (pods, services, replicasets, jobs).</summary>
    public IReadOnlyDictionary<string, long> Dropped => _dropped;

    public int PodCount => _pods.Count;

    public int ServiceCount => _services.Count;

    public int ReplicaSetCount => _replicaSets.Count;

    public int JobCount => _jobs.Count;

    public void UpsertPod(PodRecord pod, DateTimeOffset now)
    {
        var key = Key(pod.Namespace, pod.Name);
        if (!_pods.TryGetValue(key, out var existing) && !HasRoom(_pods.Count, Pods))
        {
            return;
        }

        if (pod.Live)
        {
            Retained.Forget(key);
        }
        else if (existing?.Pod is { Live: true } wasLive)
        {
            RetainPod(key, wasLive, now);
        }

        _pods[key] = new PodEntry(pod, ++_sequence);
    }

    public void DeletePod(string @namespace, string name, DateTimeOffset now)
    {
        var key = Key(@namespace, name);
        if (_pods.Remove(key, out var existing) && existing.Pod.Live)
        {
            RetainPod(key, existing.Pod, now);
        }
    }

    /// <summary>Replaces every pod with a fresh list (after a relist); pods that vanished are retained.</summary>
    public void ReplacePods(IEnumerable<PodRecord> pods, DateTimeOffset now)
    {
        var list = pods.ToList();
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pod in list)
        {
            fresh.Add(Key(pod.Namespace, pod.Name));
        }

        foreach (var (key, entry) in _pods.ToArray())
        {
            if (!fresh.Contains(key))
            {
                DeletePod(entry.Pod.Namespace, entry.Pod.Name, now);
            }
        }

        foreach (var pod in list)
        {
            UpsertPod(pod, now);
        }
    }

    public void UpsertService(ServiceRecord service) => Upsert(_services, Key(service.Namespace, service.Name), service, Services);

    public void DeleteService(string @namespace, string name) => _services.Remove(Key(@namespace, name));

    public void ReplaceServices(IEnumerable<ServiceRecord> services) => Replace(_services, services, s => Key(s.Namespace, s.Name), Services);

    public void UpsertReplicaSet(OwnedObject replicaSet)
    {
        var key = Key(replicaSet.Namespace, replicaSet.Name);
        if (_replicaSets.GetValueOrDefault(key)?.Owner != replicaSet.Owner)
        {
            _ownersGeneration++;
        }

        Upsert(_replicaSets, key, replicaSet, ReplicaSets);
    }

    public void DeleteReplicaSet(string @namespace, string name)
    {
        if (_replicaSets.Remove(Key(@namespace, name)))
        {
            _ownersGeneration++;
        }
    }

    public void ReplaceReplicaSets(IEnumerable<OwnedObject> replicaSets)
    {
        _ownersGeneration++;
        Replace(_replicaSets, replicaSets, r => Key(r.Namespace, r.Name), ReplicaSets);
    }

    public void UpsertJob(OwnedObject job)
    {
        var key = Key(job.Namespace, job.Name);
        if (_jobs.GetValueOrDefault(key)?.Owner != job.Owner)
        {
            _ownersGeneration++;
        }

        Upsert(_jobs, key, job, Jobs);
    }

    public void DeleteJob(string @namespace, string name)
    {
        if (_jobs.Remove(Key(@namespace, name)))
        {
            _ownersGeneration++;
        }
    }

    public void ReplaceJobs(IEnumerable<OwnedObject> jobs)
    {
        _ownersGeneration++;
        Replace(_jobs, jobs, j => Key(j.Namespace, j.Name), Jobs);
    }

    /// <summary>The endpoint a pod stands for, its workload resolved through the ReplicaSets and Jobs known now.</summary>
    public NetworkEndpoint EndpointOf(PodRecord pod)
    {
        var (kind, workload) = WorkloadNaming.Resolve(pod.Namespace, pod.Name, pod.Owner, FindReplicaSet, FindJob);
        return new NetworkEndpoint(pod.Namespace, pod.Name, pod.Node, kind, workload, pod.HostNetwork, EndpointSource.Kubernetes);
    }

    /// <summary>Builds the index: retained pods (weakest), node IPs, live pods in the order last seen, ClusterIPs.</summary>
    public EndpointIndex Build(DateTimeOffset now)
    {
        Retained.Expire(now);
        var builder = new EndpointIndexBuilder();
        foreach (var (endpoint, addresses) in Retained.Entries)
        {
            builder.AddPod(endpoint, addresses);
        }

        var live = new List<PodEntry>(_pods.Count);
        foreach (var entry in _pods.Values)
        {
            if (entry.Pod.Node.Length > 0)
            {
                foreach (var hostIp in entry.Pod.HostIps)
                {
                    builder.AddNode(entry.Pod.Node, hostIp, EndpointSource.Kubernetes);
                }
            }

            if (entry.Pod.Live && entry.Pod.PodIps.Count > 0)
            {
                live.Add(entry);
            }
        }

        live.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var entry in live)
        {
            // The resolved endpoint is kept until a ReplicaSet or Job changes: most builds then allocate nothing per pod.
            if (entry.Endpoint is null || entry.OwnersGeneration != _ownersGeneration)
            {
                entry.Endpoint = EndpointOf(entry.Pod);
                entry.OwnersGeneration = _ownersGeneration;
            }

            builder.AddPod(entry.Endpoint, entry.Pod.PodIps);
        }

        foreach (var service in _services.Values)
        {
            var endpoint = NetworkEndpoint.ForService(service.Namespace, service.Name, EndpointSource.Kubernetes);
            foreach (var clusterIp in service.ClusterIps)
            {
                builder.AddService(clusterIp, endpoint);
            }
        }

        return builder.Build();
    }

    private static string Key(string @namespace, string name) => string.Concat(@namespace, "/", name);

    private OwnedObject? FindReplicaSet(string @namespace, string name) => _replicaSets.GetValueOrDefault(Key(@namespace, name));

    private OwnedObject? FindJob(string @namespace, string name) => _jobs.GetValueOrDefault(Key(@namespace, name));

    private void RetainPod(string key, PodRecord pod, DateTimeOffset now)
    {
        if (pod.PodIps.Count > 0)
        {
            Retained.Retain(key, EndpointOf(pod), pod.PodIps, now);
        }
    }

    private bool HasRoom(int count, string kind)
    {
        if (count < MaxObjectsPerKind)
        {
            return true;
        }

        _dropped[kind]++;
        return false;
    }

    private void Upsert<T>(Dictionary<string, T> table, string key, T value, string kind)
    {
        if (table.ContainsKey(key) || HasRoom(table.Count, kind))
        {
            table[key] = value;
        }
    }

    private void Replace<T>(Dictionary<string, T> table, IEnumerable<T> values, Func<T, string> keyOf, string kind)
    {
        table.Clear();
        foreach (var value in values)
        {
            Upsert(table, keyOf(value), value, kind);
        }
    }

    private sealed class PodEntry(PodRecord pod, long sequence)
    {
        public PodRecord Pod { get; } = pod;

        public long Sequence { get; } = sequence;

        public NetworkEndpoint? Endpoint { get; set; }

        public long OwnersGeneration { get; set; }
    }
}
