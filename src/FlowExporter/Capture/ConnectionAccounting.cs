using FlowExporter.Configuration;
using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Quality;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// The process's capture engine (<see cref="CaptureEngine"/>, built from the configuration) as a metrics contributor:
/// capture loops (live interfaces or a file) feed it through the sinks <see cref="RegisterInterface"/> gives; a scrape
/// advances time, copies a snapshot under the engine's lock, and writes it outside. In live mode time is the clock; in
/// replay (no clock) it is the last capture timestamp.
/// </summary>
public sealed class ConnectionAccounting : IMetricsContributor
{
    private readonly Lock _scrapeGate = new();
    private readonly ConnectionSnapshot _snapshot = new();
    private readonly ConnectionMetricsWriter _writer;
    private readonly TimeProvider? _clock;
    private readonly Func<EndpointIndex>? _endpoints;

    /// <param name="endpoints">The merged endpoint metadata, when a metadata source is configured: connection series then
    /// carry pods, workloads and <c>observed_at</c>.</param>
    /// <param name="quality">Connection quality as configured (null), or as the caller overrides it (replay leaves it
    /// off unless asked).</param>
    /// <param name="flowRecords">Where flow records go (IPFIX), or null when they are off.</param>
    public ConnectionAccounting(
        ExporterOptions options, TimeProvider? clock, Func<EndpointIndex>? endpoints = null, QualityOptions? quality = null, IFlowRecordSink? flowRecords = null)
    {
        _clock = clock;
        _endpoints = endpoints;
        Engine = new CaptureEngine(EngineOptions(options, endpoints, quality) with
        {
            FlowRecords = flowRecords,
            FlowActiveTimeout = flowRecords?.ActiveTimeout ?? TimeSpan.FromSeconds(60),
        });
        _writer = new ConnectionMetricsWriter(options.Node, options.Connections.Naming);
    }

    public CaptureEngine Engine { get; }

    /// <summary>The engine's settings from the exporter's configuration.</summary>
    public static CaptureEngineOptions EngineOptions(ExporterOptions options, Func<EndpointIndex>? endpoints = null, QualityOptions? quality = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var capture = options.Capture;
        return new CaptureEngineOptions
        {
            Node = options.Node,
            Decoder = new DecoderOptions
            {
                Decapsulate = capture.Decapsulate,
                VxlanPorts = capture.VxlanPorts,
                GenevePort = capture.GenevePort,
            },
            Connections = options.Connections.ToTrackerOptions(),
            MaxSeries = options.Connections.MaxSeries,
            Quality = quality ?? (options.Quality.Enabled ? options.Quality : QualityOptions.Disabled),
            Endpoints = endpoints,
        };
    }

    /// <summary>The sink of a capture point (its <c>interface</c> label); the same name keeps its sink and id.</summary>
    public CaptureSink RegisterInterface(string name) => Engine.RegisterInterface(name);

    /// <summary>A discovered capture point closed for good: its id is freed once its connections have left (<see cref="CaptureEngine.ReleaseInterface"/>).</summary>
    public void ReleaseInterface(string name) => Engine.ReleaseInterface(name);

    /// <summary>The name of a capture point by its id (any thread); empty for an unknown id.</summary>
    public string InterfaceName(ushort id)
    {
        var names = Engine.InterfaceNames;
        return id < names.Count ? names[id] : string.Empty;
    }

    /// <summary>
    /// Accounts what another engine (the eBPF sweep) saw of connections since its last report, under the table's lock as
    /// a batch of frames is; returns how many new connections the full table dropped.
    /// </summary>
    public int Observe(IReadOnlyList<ConnectionObservation> observations) =>
        Engine.Batch((Engine, observations), static state =>
        {
            var dropped = 0;
            for (var i = 0; i < state.observations.Count; i++)
            {
                dropped += state.Engine.Observe(state.observations[i]) ? 0 : 1;
            }

            return dropped;
        });

    /// <summary>Sends the flow record of every open connection (forced end): at shutdown, or when a replayed file ends.</summary>
    public void EmitOpenRecords() => Engine.EmitOpenRecords();

    /// <summary>Leaves the exporters' probe traffic out of the connection series from now on (null: include it again).</summary>
    public void ExcludeProbeTraffic(ProbeTrafficFilter? filter) => Engine.ExcludeProbeTraffic(filter);

    public void Write(ExpositionWriter writer)
    {
        lock (_scrapeGate)
        {
            var names = Engine.Snapshot(_snapshot, _clock?.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000);
            _writer.Write(writer, _snapshot, names, _endpoints?.Invoke());
        }
    }
}
