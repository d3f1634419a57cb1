using FlowExporter.Correlator.Metadata;

namespace FlowExporter.Endpoints;

/// <summary>A metadata source that publishes immutable <see cref="EndpointIndex"/> snapshots (Kubernetes, OVS, static file).</summary>
public interface IEndpointIndexSource
{
    /// <summary>The latest snapshot; <see cref="EndpointIndex.Empty"/> before the first. Lock-free, never null.</summary>
    EndpointIndex Current { get; }
}
