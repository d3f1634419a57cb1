using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Sources;

/// <summary>
/// Something that writes metric families into a scrape from state it already holds (its last snapshot). It never does
/// I/O here. If it throws, the scrape drops what it wrote, counts it under <see cref="CollectorName"/>
/// (<c>flowexporter_scrape_collector_success</c>) and serves the rest of the page: no need to catch here.
/// </summary>
public interface IMetricsContributor
{
    /// <summary>The <c>collector</c> label of this contributor: its type's name in snake case unless it says otherwise.</summary>
    string CollectorName => CollectorNames.Of(GetType());

    void Write(ExpositionWriter writer);
}
