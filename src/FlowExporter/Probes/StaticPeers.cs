namespace FlowExporter.Probes;

/// <summary>The peers listed in <c>probes.peers</c>.</summary>
public sealed class StaticPeers : IPeerSource
{
    public StaticPeers(IReadOnlyList<ExporterPeer> peers)
    {
        Current = peers;
    }

    public IReadOnlyList<ExporterPeer> Current { get; }

    /// <summary>A static list never changes.</summary>
    public event EventHandler? Changed
    {
        add { }
        remove { }
    }
}
