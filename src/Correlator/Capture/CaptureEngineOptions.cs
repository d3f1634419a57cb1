using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Quality;

namespace FlowExporter.Correlator.Capture;

/// <summary>Everything <see cref="CaptureEngine"/> is built from; the defaults are the exporter's defaults.</summary>
public sealed record CaptureEngineOptions
{
    /// <summary>The <c>node</c> label of connection series.</summary>
    public string Node { get; init; } = "";

    public DecoderOptions Decoder { get; init; } = DecoderOptions.Default;

    public ConnectionTrackerOptions Connections { get; init; } = new();

    /// <summary>Connection series kept at most (<c>connections.max_series</c>).</summary>
    public int MaxSeries { get; init; } = 100_000;

    /// <summary>Connection quality, or <see cref="QualityOptions.Disabled"/>.</summary>
    public QualityOptions Quality { get; init; } = new();

    /// <summary>First fragments remembered at most, so that later fragments find their ports.</summary>
    public int MaxFragments { get; init; } = 4096;

    /// <summary>How long a first fragment's ports are remembered.</summary>
    public TimeSpan FragmentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The merged endpoint metadata, when a metadata source is configured: at the pod and workload levels each
    /// end is named from the index current when its connection opens.</summary>
    public Func<EndpointIndex?>? Endpoints { get; init; }

    /// <summary>Where flow records go (IPFIX), or null when they are off (no side array then).</summary>
    public IFlowRecordSink? FlowRecords { get; init; }

    /// <summary>A live connection's flow record is ended and a new one started after this long.</summary>
    public TimeSpan FlowActiveTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
