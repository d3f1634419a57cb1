using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Sources;

namespace FlowExporter.Endpoints;

/// <summary>
/// The merged view of every registered metadata source (precedence as in <see cref="EndpointIndex.Merge"/>), rebuilt
/// only when a source has published a new snapshot, and <c>network_endpoint_info</c> written from it (once, however
/// many sources there are).
/// </summary>
public sealed class EndpointMetadata : IMetricsContributor
{
    private readonly IEndpointIndexSource[] _sources;
    private readonly Lock _gate = new();
    private Merged _merged = new([], EndpointIndex.Empty);

    public EndpointMetadata(IEnumerable<IEndpointIndexSource> sources)
    {
        _sources = [.. sources];
    }

    /// <summary>
    /// The merged index of the sources' current snapshots. Lock-free and allocation-free while no source has published
    /// since the last call (the usual case on the capture path); merges again only after a change.
    /// </summary>
    public EndpointIndex Current
    {
        get
        {
            var merged = Volatile.Read(ref _merged);
            if (IsCurrent(merged))
            {
                return merged.Index;
            }

            lock (_gate)
            {
                merged = _merged;
                if (!IsCurrent(merged))
                {
                    var inputs = new EndpointIndex[_sources.Length];
                    for (var i = 0; i < inputs.Length; i++)
                    {
                        inputs[i] = _sources[i].Current;
                    }

                    merged = new Merged(inputs, inputs.Length == 1 ? inputs[0] : EndpointIndex.Merge(inputs));
                    Volatile.Write(ref _merged, merged);
                }

                return merged.Index;
            }
        }
    }

    public void Write(ExpositionWriter writer) => EndpointInfoSeries.Write(writer, Current);

    private bool IsCurrent(Merged merged)
    {
        if (merged.Inputs.Length != _sources.Length)
        {
            return false;
        }

        for (var i = 0; i < _sources.Length; i++)
        {
            if (!ReferenceEquals(merged.Inputs[i], _sources[i].Current))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Merged(EndpointIndex[] Inputs, EndpointIndex Index);
}
