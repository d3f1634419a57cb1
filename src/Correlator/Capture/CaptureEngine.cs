using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// The capture engine, composed in this one place for live capture, replay, the benchmark and the tests: decoder,
/// fragment tracker, connection table, series store, quality, series keys, probe-traffic filter and the registry of
/// capture interfaces. Frames enter only through a <see cref="CaptureSink"/> inside a <see cref="Batch"/>, which
/// holds the engine's lock; a scrape copies a <see cref="ConnectionSnapshot"/> under the same lock and writes it
/// outside. The lock is never handed out.
/// Capture points get small ids (the <c>interface</c> label's index in every table) from <see cref="RegisterInterface"/>;
/// a point closed for good (<see cref="ReleaseInterface"/>: its link was deleted) gives its id back once no connection
/// in the table is counted at it and a snapshot has shown its final values, and a later point reuses it: the ids in
/// use are bounded by the points alive and draining, not by every name the node ever had.
/// </summary>
public sealed class CaptureEngine
{
    private readonly Lock _gate = new();
    private readonly ConnectionSeriesStore _series;
    private readonly SeriesKeyFactory _keys;
    /// <summary>The sink of each id; null when the id is free.</summary>
    private readonly List<CaptureSink?> _sinks = [];
    private readonly Dictionary<string, CaptureSink> _byName = new(StringComparer.Ordinal);

    /// <summary>Free ids, the lowest reused first.</summary>
    private readonly SortedSet<ushort> _freeIds = [];

    /// <summary>Ids whose point is closed for good, freed once no connection is counted at them.</summary>
    private readonly HashSet<ushort> _released = [];
    private string[] _names = [];

    public CaptureEngine(CaptureEngineOptions options)
    {
        Options = options;
        _series = new ConnectionSeriesStore(options.MaxSeries);
        _keys = new SeriesKeyFactory(options.Node, options.Endpoints);
        Quality = options.Quality.Enabled ? new QualityTracker(options.Quality, new QualitySeriesStore(options.Quality.MaxSeries), _series, _keys) : null;
        Pipeline = new CapturePipeline(
            new FrameDecoder(options.Decoder),
            new ConnectionTracker(
                options.Connections,
                new ConnectionSeries(_series, _keys, options.Connections.Aggregation),
                Quality,
                options.FlowRecords is null ? null : new FlowRecorder(options.FlowRecords, options.FlowActiveTimeout, options.Connections.MaxConnections)),
            new FragmentTracker(options.MaxFragments, options.FragmentTimeout));
    }

    public CaptureEngineOptions Options { get; }

    /// <summary>Capture interface names by id, as registered (a copy that never changes); empty for a free id.</summary>
    public IReadOnlyList<string> InterfaceNames => Volatile.Read(ref _names);

    /// <summary>Identities interned by the series keys (each end of a series at the pod and workload levels).</summary>
    public int InternedIdentities
    {
        get
        {
            lock (_gate)
            {
                return _keys.InternedIdentities;
            }
        }
    }

    /// <summary>The table's time: the latest capture timestamp or advance, in nanoseconds since the Unix epoch.</summary>
    public long Now
    {
        get
        {
            lock (_gate)
            {
                return Pipeline.Tracker.Now;
            }
        }
    }

    /// <summary>Touched only under <see cref="_gate"/> (by sinks and snapshots; tests and the benchmark reach it directly).</summary>
    internal CapturePipeline Pipeline { get; }

    /// <summary>The connection series store, under the same rule as <see cref="Pipeline"/>.</summary>
    internal ConnectionSeriesStore Series => _series;

    /// <summary>Connection quality when on, under the same rule as <see cref="Pipeline"/>.</summary>
    internal QualityTracker? Quality { get; }

    internal bool InBatch => _gate.IsHeldByCurrentThread;

    /// <summary>Ids in use: points registered and not yet freed.</summary>
    public int InterfacesInUse
    {
        get
        {
            lock (_gate)
            {
                return _byName.Count;
            }
        }
    }

    /// <summary>
    /// The sink of a capture interface (its <c>interface</c> label); the same name gets the same sink and id while it
    /// is registered (also after <see cref="ReleaseInterface"/>, until its id is freed: the release is then cancelled).
    /// A new name takes the lowest free id. The interface is exported with zeros from now on, before its first frame.
    /// </summary>
    public CaptureSink RegisterInterface(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            if (_byName.TryGetValue(name, out var existing))
            {
                _released.Remove(existing.Id);
                return existing;
            }

            ushort id;
            if (_freeIds.Count > 0)
            {
                id = _freeIds.Min;
                _freeIds.Remove(id);
            }
            else
            {
                if (_sinks.Count > ushort.MaxValue)
                {
                    throw new InvalidOperationException($"capture interface {name}: more than {ushort.MaxValue + 1} capture points registered at once");
                }

                id = (ushort)_sinks.Count;
                _sinks.Add(null);
            }

            var sink = new CaptureSink(this, id, name);
            _sinks[id] = sink;
            _byName[name] = sink;
            _keys.NameInterface(id, name);
            Pipeline.StatsFor(id);
            PublishNames();
            return sink;
        }
    }

    /// <summary>
    /// The capture point <paramref name="name"/> is closed for good (its link is gone): once no connection in the table
    /// is counted at it (they expire or end as usual), the next snapshot shows its series and counters one last time,
    /// and then its id is free for another point and its counters leave the exposition. Its sink accepts nothing from
    /// then on. An unknown name is ignored.
    /// </summary>
    public void ReleaseInterface(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            if (_byName.TryGetValue(name, out var sink))
            {
                _released.Add(sink.Id);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the engine's lock held: frames handed to any of its sinks'
    /// <see cref="CaptureSink.Accept"/> inside it are processed. Hold it for a batch of frames, not longer than a
    /// scrape may wait.
    /// </summary>
    public TResult Batch<TState, TResult>(TState state, Func<TState, TResult> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        lock (_gate)
        {
            return body(state);
        }
    }

    /// <summary>
    /// Accounts what another engine (an eBPF map sweep) saw of one connection since its last report; only inside a
    /// <see cref="Batch"/>. The exporters' probe traffic is left out as a frame of it would be (its packets counted as
    /// ignored for <c>probe</c> at the observation's point). Returns false when the table was full and the new
    /// connection was dropped (the table counts it in <c>network_connections_dropped_total</c>).
    /// </summary>
    public bool Observe(in ConnectionObservation observation)
    {
        if (!InBatch)
        {
            throw new InvalidOperationException("a connection observation was accepted outside a batch");
        }

        if (Pipeline.ExcludedProbeTraffic is { } probes && probes.Matches(observation.Key))
        {
            Pipeline.StatsFor(observation.Key.Interface).CountIgnored(IgnoredReason.Probe, observation.PacketsFromA + observation.PacketsFromB);
            Pipeline.Tracker.Advance(observation.LastSeen);
            return true;
        }

        return Pipeline.Tracker.Observe(observation);
    }

    /// <summary>Ends the flow record of every open connection (forced end): at shutdown, or when a replayed file ends.</summary>
    public void EmitOpenRecords()
    {
        lock (_gate)
        {
            Pipeline.Tracker.EmitOpenRecords();
        }
    }

    /// <summary>Leaves the exporters' probe traffic out of the connection series from now on (null: include it again).</summary>
    public void ExcludeProbeTraffic(ProbeTrafficFilter? filter) => Pipeline.ExcludedProbeTraffic = filter;

    /// <summary>The probe traffic left out now, or null.</summary>
    public ProbeTrafficFilter? ExcludedProbeTraffic => Pipeline.ExcludedProbeTraffic;

    /// <summary>
    /// Copies everything a scrape writes into <paramref name="snapshot"/> in one step under the lock, first moving
    /// the table's time to <paramref name="advanceToNanoseconds"/> when given (live: the clock; replay: none, the
    /// file's timestamps are the clock). Returns the interface names that go with it.
    /// </summary>
    public IReadOnlyList<string> Snapshot(ConnectionSnapshot snapshot, long? advanceToNanoseconds)
    {
        lock (_gate)
        {
            if (advanceToNanoseconds is { } now)
            {
                Pipeline.Tracker.Advance(now);
            }

            snapshot.Capture(Pipeline, _series, Quality);
            snapshot.FreeInterfaces = new HashSet<ushort>(_freeIds);
            var names = _names;
            FreeDrained();
            return names;
        }
    }

    /// <summary>
    /// Frees the released ids no connection is counted at any more: the snapshot just taken showed their final values
    /// (the series of their last connections, removed by that snapshot, and their capture counters).
    /// </summary>
    private void FreeDrained()
    {
        if (_released.Count == 0)
        {
            return;
        }

        var tracker = Pipeline.Tracker;
        foreach (var id in _released.Where(id => tracker.ConnectionsAt(id) == 0).ToArray())
        {
            _released.Remove(id);
            var sink = _sinks[id]!;
            sink.Retire();
            _byName.Remove(sink.Name);
            _sinks[id] = null;
            _freeIds.Add(id);
            Pipeline.ResetStats(id);
            tracker.ForgetPoint(id);
        }

        PublishNames();
    }

    private void PublishNames() => Volatile.Write(ref _names, [.. _sinks.Select(s => s?.Name ?? string.Empty)]);
}
