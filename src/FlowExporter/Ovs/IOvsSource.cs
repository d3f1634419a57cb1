using FlowExporter.Correlator.Ovs;
using FlowExporter.Sources;

namespace FlowExporter.Ovs;

/// <summary>What both OVS modes offer the host and the tests: the last good snapshot and the families written from it.</summary>
public interface IOvsSource : IMetricsContributor
{
    const string SourceName = "ovs";

    /// <summary>The last good snapshot; null before the first success and while the source is failing.</summary>
    OvsSnapshot? Latest { get; }
}
