namespace FlowExporter.Probes;

/// <summary>Where the other exporters come from: the static list, or the exporter pods the Kubernetes source sees.</summary>
public interface IPeerSource
{
    IReadOnlyList<ExporterPeer> Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed (never by a static list), so the capture filter follows at once.</summary>
    event EventHandler? Changed;
}
