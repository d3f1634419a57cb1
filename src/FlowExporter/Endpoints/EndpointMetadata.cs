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
    private EndpointIndex[] _inputs = [];
    private EndpointIndex _merged = EndpointIndex.Empty;

    public EndpointMetadata(IEnumerable<IEndpointIndexSource> sources)
    {
        _sources = [.. sources];
    }

    /// <summary>The merged index of the sources' current snapshots.</summary>
    public EndpointIndex Current
    {
        get
        {
            var inputs = new EndpointIndex[_sources.Length];
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i] = _sources[i].Current;
            }

            lock (_gate)
            {
                if (!inputs.AsSpan().SequenceEqual(_inputs))
                {
                    _merged = inputs.Length == 1 ? inputs[0] : EndpointIndex.Merge(inputs);
                    _inputs = inputs;
                }

                return _merged;
            }
        }
    }

    public void Write(ExpositionWriter writer)
    {
        try
        {
            EndpointInfoSeries.Write(writer, Current);
        }
        catch (Exception)
        {
            // Never fail a scrape; a broken snapshot writes nothing.
        }
    }
}
