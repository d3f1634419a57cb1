using FlowExporter.Configuration;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Quality;
using FlowExporter.Correlator.Series;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// Owns the capture pipeline and its connection table for the process: capture loops (live interfaces or a file)
/// feed frames under <see cref="Gate"/>; a scrape advances time, copies a snapshot under the same lock, and writes it
/// outside the lock. In live mode time is the clock; in replay (no clock) it is the last capture timestamp.
/// </summary>
public sealed class ConnectionAccounting : IMetricsContributor
{
    private readonly Lock _scrapeGate = new();
    private readonly ConnectionSeriesStore _series;
    private readonly SeriesKeyFactory _keys;
    private readonly ConnectionSnapshot _snapshot = new();
    private readonly ConnectionMetricsWriter _writer;
    private readonly List<string> _interfaceNames = [];
    private readonly TimeProvider? _clock;
    private readonly Func<EndpointIndex>? _endpoints;
    private string[] _namesSnapshot = [];

    /// <param name="endpoints">The merged endpoint metadata, when a metadata source is configured: connection series then
    /// carry pods, workloads and <c>observed_at</c>.</param>
    /// <param name="flowRecords">Where flow records go (IPFIX), or null when they are off.</param>
    public ConnectionAccounting(ExporterOptions options, TimeProvider? clock, Func<EndpointIndex>? endpoints = null, IFlowRecordSink? flowRecords = null)
    {
        _clock = clock;
        _endpoints = endpoints;
        var capture = options.Capture;
        _series = new ConnectionSeriesStore(options.Connections.MaxSeries);
        var decoder = new FrameDecoder(new DecoderOptions
        {
            Decapsulate = capture.Decapsulate,
            VxlanPorts = capture.VxlanPorts,
            GenevePort = capture.GenevePort,
        });
        // At the pod and workload levels each end is named when its connection opens, from the index current then.
        _keys = new SeriesKeyFactory(options.Node, endpoints);
        var quality = options.Quality.Enabled ? new QualityTracker(options.Quality, new QualitySeriesStore(options.Quality.MaxSeries), _series) : null;
        var trackerOptions = options.Connections.ToTrackerOptions();
        Pipeline = new CapturePipeline(
            decoder,
            new ConnectionTracker(
                trackerOptions,
                _series,
                _keys,
                quality,
                flowRecords is null ? null : new FlowRecorder(flowRecords, options.Ipfix.ActiveTimeout, trackerOptions.MaxConnections)),
            new FragmentTracker(4096, TimeSpan.FromSeconds(30)));
        _writer = new ConnectionMetricsWriter(options.Node, options.Connections.Naming);
    }

    /// <summary>Held while frames are processed or a snapshot is taken.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Touch only while holding <see cref="Gate"/>.</summary>
    public CapturePipeline Pipeline { get; }

    /// <summary>Builds series keys at the configured aggregation level (for every family aggregated that way); touch
    /// only while holding <see cref="Gate"/>.</summary>
    public SeriesKeyFactory Keys => _keys;

    /// <summary>Gives a capture point its interface id (the <c>interface</c> label); the same name keeps its id.</summary>
    public ushort RegisterInterface(string name)
    {
        lock (Gate)
        {
            var index = _interfaceNames.IndexOf(name);
            if (index < 0)
            {
                _interfaceNames.Add(name);
                index = _interfaceNames.Count - 1;
                _keys.NameInterface((ushort)index, name);
                _namesSnapshot = [.. _interfaceNames];
            }

            Pipeline.StatsFor((ushort)index);
            return (ushort)index;
        }
    }

    /// <summary>The name of a capture point by its id (any thread); empty for an unknown id.</summary>
    public string InterfaceName(ushort id)
    {
        var names = Volatile.Read(ref _namesSnapshot);
        return id < names.Length ? names[id] : string.Empty;
    }

    /// <summary>Sends the flow record of every open connection (forced end): at shutdown, or when a replayed file ends.</summary>
    public void EmitOpenRecords()
    {
        lock (Gate)
        {
            Pipeline.Tracker.EmitOpenRecords();
        }
    }

    /// <summary>Leaves the exporters' probe traffic out of the connection series from now on (null: include it again).</summary>
    public void ExcludeProbeTraffic(ProbeTrafficFilter? filter) => Pipeline.ExcludedProbeTraffic = filter;

    /// <summary>Processes one frame; the caller holds <see cref="Gate"/>.</summary>
    public void ProcessLocked(ushort captureInterface, in CapturedFrame frame) => Pipeline.Process(captureInterface, frame);

    public void Write(ExpositionWriter writer)
    {
        lock (_scrapeGate)
        {
            string[] names;
            lock (Gate)
            {
                if (_clock is not null)
                {
                    Pipeline.Tracker.Advance(_clock.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000);
                }

                _snapshot.Capture(Pipeline, _series);
                names = _namesSnapshot;
            }

            _writer.Write(writer, _snapshot, names, _endpoints?.Invoke());
        }
    }
}
