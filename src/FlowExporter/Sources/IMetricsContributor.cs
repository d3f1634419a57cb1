using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Sources;

/// <summary>
/// Something that writes metric families into a scrape from state it already holds (its last snapshot).
/// Implementations never do I/O here and never throw: a failing source simply writes nothing.
/// </summary>
public interface IMetricsContributor
{
    void Write(ExpositionWriter writer);
}
