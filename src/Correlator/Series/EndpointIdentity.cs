using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Series;

/// <summary>
/// The labels that name one end of a connection at the pod or workload aggregation level, interned by
/// <see cref="EndpointIdentities"/> so that equal label sets are one object (series keys compare it by reference).
/// Immutable but for the reference count, which only the owner of the pipeline touches; a scrape may read the labels
/// of an identity that has since been released. Empty strings are labels not written.
/// </summary>
public sealed class EndpointIdentity
{
    private readonly EndpointIdentities _owner;

    internal EndpointIdentity(EndpointIdentities owner, EndpointIdentityValue value)
    {
        _owner = owner;
        Value = value;
        Namespace = Escape(value.Namespace);
        Pod = Escape(value.Pod);
        Workload = Escape(value.Workload);
        Service = Escape(value.Service);
    }

    public EndpointIdentityValue Value { get; }

    /// <summary>The label values, escaped for the exposition (empty: not written).</summary>
    public byte[] Namespace { get; }

    public byte[] Pod { get; }

    public byte[] Workload { get; }

    public byte[] Service { get; }

    /// <summary>Series keys that hold this identity; at 0 it leaves the intern table.</summary>
    internal int References { get; set; }

    internal void Release() => _owner.Release(this);

    public override string ToString() => Value.ToString();

    private static byte[] Escape(string value) => value.Length == 0 ? [] : ExpositionWriter.Escape(value);
}
