using System.Net.NetworkInformation;
using FlowExporter.Capture;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Net;
using FlowExporter.Sources;

namespace FlowExporter.Probes;

/// <summary>
/// The probe loop: every interval (plus a random jitter) it takes the peers from its sources, probes a budgeted batch
/// of their targets with bounded concurrency, and records the outcomes in <see cref="ProbeResults"/>, which scrapes
/// read. Unless probe traffic is included, it also keeps the capture's <see cref="ProbeTrafficFilter"/> current: from
/// the known peers before any hosted service starts (the capture among them: peers probe a restarted exporter at once,
/// long before its first round), whenever a peer source changes, and around each round (names just resolved).
/// Health: <c>flowexporter_source_up{source="probes"}</c> is 1 while rounds complete; each peer is an instance
/// (<c>flowexporter_source_instance_up{source="probes",instance=NODE}</c>: 1 when every path of its last probes
/// answered) for information only, since a peer that does not answer is what probes measure, not a fault of this
/// exporter, and gating readiness on peers would deadlock a rollout. A round that fails waits the shared backoff.
/// </summary>
public sealed partial class ProbeService : BackgroundService, IHostedLifecycleService
{
    private readonly ProbeOptions _options;
    private readonly IReadOnlyList<IPeerSource> _sources;
    private readonly ProbeResults _results;
    private readonly HttpProbe _probe;
    private readonly ProbeRoundPlanner _planner;
    private readonly TimeProvider _time;
    private readonly string _ownNode;
    private readonly int _listenPort;
    private readonly ConnectionAccounting? _capture;
    private readonly SourceHealth? _health;
    private readonly RateLimitedLog _log;
    private readonly ILogger _logger;
    private readonly Dictionary<ProbeTarget, IpAddress> _resolved = [];
    private readonly Lock _filterGate = new();
    private long _droppedSeen;

    public const string SourceName = "probes";

    public ProbeService(
        ProbeOptions options,
        IEnumerable<IPeerSource> sources,
        ProbeResults results,
        HttpProbe probe,
        TimeProvider time,
        string ownNode,
        int listenPort,
        ILogger<ProbeService> logger,
        ConnectionAccounting? capture = null,
        SourceHealth? health = null)
    {
        _options = options;
        _sources = sources.ToArray();
        _results = results;
        _probe = probe;
        _time = time;
        _ownNode = ownNode;
        _listenPort = listenPort;
        _capture = capture;
        _health = health;
        _health?.Register(SourceName, instancesGate: false);
        _planner = new ProbeRoundPlanner(options.MaxTargetsPerRound);
        _logger = logger;
        _log = new RateLimitedLog(logger, time, TimeSpan.FromMinutes(1));
        foreach (var source in _sources)
        {
            source.Changed += OnPeersChanged;
        }
    }

    /// <summary>Runs for every hosted service before any starts: the capture never sees a known peer's probe unfiltered.</summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        UpdateCaptureFilter();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One round: plan, probe, record. Public for tests, which drive rounds without waiting on the interval.</summary>
    public async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        var (peers, dropped) = Peers();
        var targets = peers.SelectMany(p => ProbeTarget.Of(p, _options.Paths))
            .OrderBy(t => t.Node, StringComparer.Ordinal).ThenBy(t => t.Path)
            .ToArray();
        var started = _time.GetTimestamp();
        var batch = _planner.Next(targets);
        _results.Track(targets, _time.GetUtcNow(), targets.Length - batch.Count, dropped);
        TrackInstances(peers);
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_resolved)
        {
            foreach (var gone in _resolved.Keys.Except(targets).ToList())
            {
                _resolved.Remove(gone);
            }
        }

        // Before probing (a new peer's first probes must not become connections) and again after (names just resolved).
        UpdateCaptureFilter();
        await Parallel.ForEachAsync(
            batch,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrent, CancellationToken = cancellationToken },
            async (target, ct) =>
            {
                var outcome = await _probe.RunAsync(target, ct).ConfigureAwait(false);
                _results.Record(target, outcome);
                lock (_resolved)
                {
                    if (outcome.Remote is { } remote)
                    {
                        _resolved[target] = IpAddress.FromIPAddress(remote);
                    }
                }

                if (outcome.Error is { } error)
                {
                    lock (failed)
                    {
                        failed.TryAdd(target.Node, error.ToString().ToLowerInvariant());
                    }

                    if (_log.ShouldLog($"{target.Node}:{target.Path}:{error}", out var suppressed))
                    {
                        LogProbeFailed(_logger, target.Node, target.Path.ToString().ToLowerInvariant(), _probe.UriOf(target).ToString(), error.ToString().ToLowerInvariant(), outcome.Detail, suppressed);
                    }
                }
            }).ConfigureAwait(false);

        UpdateCaptureFilter();

        // Every probed peer's instance says whether all its paths answered this round; the round itself succeeded.
        foreach (var node in batch.Select(t => t.Node).Distinct(StringComparer.Ordinal))
        {
            if (failed.TryGetValue(node, out var reason))
            {
                _health?.InstanceFailed(SourceName, node, reason, TimeSpan.Zero);
            }
            else
            {
                _health?.InstanceSucceeded(SourceName, node, _time.GetUtcNow(), TimeSpan.Zero);
            }
        }

        _health?.Succeeded(SourceName, _time.GetUtcNow(), _time.GetElapsedTime(started));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), _options.Interval);
        try
        {
            await Task.Delay(RandomJitter(), _time, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                var started = _time.GetTimestamp();
                try
                {
                    await RunRoundAsync(stoppingToken).ConfigureAwait(false);
                    backoff.Reset();
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    _health?.Failed(SourceName, "round_failed", _time.GetElapsedTime(started));
                    _log.Warn("round_failed", $"probe: a round failed: {ex.GetType().Name}: {ex.Message}");
                    if (!await backoff.WaitAsync(_time, stoppingToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                var wait = _options.Interval + RandomJitter() - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
    }

    public override void Dispose()
    {
        foreach (var source in _sources)
        {
            source.Changed -= OnPeersChanged;
        }

        _probe.Dispose();
        base.Dispose();
    }

    private TimeSpan RandomJitter() =>
        _options.Jitter <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Random.Shared.NextInt64(_options.Jitter.Ticks));

    /// <summary>The peers of every source, one per node, never this node, at most max_peers; and how many were left out.</summary>
    private (IReadOnlyList<ExporterPeer> Peers, int Dropped) Peers()
    {
        var (kept, overMax) = KnownPeers();
        var fromKubernetes = _sources.OfType<KubernetesPeers>().Sum(k => k.Dropped);
        var newlyDropped = (int)Math.Max(0, fromKubernetes - _droppedSeen);
        _droppedSeen = fromKubernetes;
        return (kept, newlyDropped + overMax);
    }

    /// <summary>The peers a round would take now, and how many are over max_peers; counts nothing.</summary>
    private (IReadOnlyList<ExporterPeer> Kept, int OverMax) KnownPeers()
    {
        var byNode = new Dictionary<string, ExporterPeer>(StringComparer.Ordinal);
        foreach (var source in _sources)
        {
            foreach (var peer in source.Current)
            {
                if (peer.Node != _ownNode)
                {
                    byNode.TryAdd(peer.Node, peer);
                }
            }
        }

        var kept = byNode.Values.OrderBy(p => p.Node, StringComparer.Ordinal).Take(_options.MaxPeers).ToArray();
        return (kept, byNode.Count - kept.Length);
    }

    /// <summary>The peers of this round are the instances: new ones registered (down until probed), departed ones removed.</summary>
    private void TrackInstances(IReadOnlyList<ExporterPeer> peers)
    {
        if (_health is null)
        {
            return;
        }

        var current = peers.Select(p => p.Node).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _health.Instances(SourceName).Where(n => !current.Contains(n)))
        {
            _health.RemoveInstance(SourceName, gone);
        }

        foreach (var node in current)
        {
            _health.RegisterInstance(SourceName, node);
        }
    }

    private void OnPeersChanged(object? sender, EventArgs e) => UpdateCaptureFilter();

    /// <summary>
    /// Every address of every peer counts, not only the probed ones: a peer's own probes may leave from another of its
    /// addresses. Names count once resolved by a probe.
    /// </summary>
    private void UpdateCaptureFilter()
    {
        if (_capture is null || _options.IncludeTraffic)
        {
            return;
        }

        // Sources change on their own threads: reading, building and installing under one gate keeps an older set from
        // landing last.
        lock (_filterGate)
        {
            var peers = KnownPeers().Kept;
            var addresses = new HashSet<IpAddress>(LocalAddresses());
            var ports = new HashSet<int> { _listenPort };
            lock (_resolved)
            {
                addresses.UnionWith(_resolved.Values);
            }

            foreach (var peer in peers)
            {
                ports.Add(peer.Port);
                foreach (var text in peer.PodAddresses.Concat(peer.HostAddresses))
                {
                    if (IpAddress.TryParse(text, out var address))
                    {
                        addresses.Add(address);
                    }
                }
            }

            _capture.ExcludeProbeTraffic(new ProbeTrafficFilter([.. ports.Select(p => (ushort)p)], addresses));
        }
    }

    /// <summary>
    /// This machine's addresses. On a node, pods' veths come and go all the time: an interface deleted between the
    /// listing and the reading of its properties (which reads its files under /sys) is skipped, not the whole list.
    /// </summary>
    private static List<IpAddress> LocalAddresses()
    {
        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return [];
        }

        var addresses = new List<IpAddress>();
        foreach (var networkInterface in interfaces)
        {
            try
            {
                addresses.AddRange(networkInterface.GetIPProperties().UnicastAddresses.Select(a => IpAddress.FromIPAddress(a.Address)));
            }
            catch (Exception e) when (e is NetworkInformationException or IOException or UnauthorizedAccessException)
            {
                // Gone since the listing: it has no addresses left to exclude.
                continue;
            }
        }

        return addresses;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "probe: {Node} ({Path}, {Uri}): {Error}: {Detail} ({Suppressed} similar messages suppressed)")]
    private static partial void LogProbeFailed(ILogger logger, string node, string path, string uri, string error, string? detail, long suppressed);
}
