using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Ovs;
using FlowExporter.Endpoints;

namespace FlowExporter.Ovs;

/// <summary>The OVS source's latest snapshot seen as endpoint metadata; rebuilt only when the snapshot changes.</summary>
public sealed class OvsEndpointIndexSource : IEndpointIndexSource
{
    private readonly IOvsSource _source;
    private readonly string _node;
    private Cache _cached = new(null, EndpointIndex.Empty);

    public OvsEndpointIndexSource(IOvsSource source, string node)
    {
        _source = source;
        _node = node;
    }

    public EndpointIndex Current
    {
        get
        {
            var snapshot = _source.Latest;
            var cached = Volatile.Read(ref _cached);
            if (ReferenceEquals(cached.Snapshot, snapshot))
            {
                return cached.Index;
            }

            var index = snapshot is null ? EndpointIndex.Empty : OvsEndpointIndex.Build(snapshot, _node);
            Volatile.Write(ref _cached, new Cache(snapshot, index));
            return index;
        }
    }

    private sealed record Cache(OvsSnapshot? Snapshot, EndpointIndex Index);
}
