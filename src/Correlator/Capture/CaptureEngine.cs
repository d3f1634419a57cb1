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
/// </summary>
public sealed class CaptureEngine
{
    private readonly Lock _gate = new();
    private readonly ConnectionSeriesStore _series;
    private readonly SeriesKeyFactory _keys;
    private readonly List<CaptureSink> _sinks = [];
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

    /// <summary>Capture interface names by id, as registered (a copy that never changes).</summary>
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

    /// <summary>
    /// The sink of a capture interface (its <c>interface</c> label); the same name gets the same sink and id. The
    /// interface is exported with zeros from now on, before its first frame.
    /// </summary>
    public CaptureSink RegisterInterface(string name)
    {
        lock (_gate)
        {
            foreach (var existing in _sinks)
            {
                if (existing.Name == name)
                {
                    return existing;
                }
            }

            var id = checked((ushort)_sinks.Count);
            var sink = new CaptureSink(this, id, name);
            _sinks.Add(sink);
            _keys.NameInterface(id, name);
            Pipeline.StatsFor(id);
            Volatile.Write(ref _names, [.. _sinks.Select(s => s.Name)]);
            return sink;
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
            return _names;
        }
    }
}
