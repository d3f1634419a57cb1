namespace FlowExporter.Probes;

/// <summary>
/// Another exporter to probe: its node name (the <c>target_node</c> label), its pod and node addresses (IP literals or
/// DNS names; either list may be empty) and the port it listens on.
/// </summary>
public sealed record ExporterPeer(string Node, IReadOnlyList<string> PodAddresses, IReadOnlyList<string> HostAddresses, int Port)
{
    public bool Equals(ExporterPeer? other) =>
        other is not null && Node == other.Node && Port == other.Port
        && PodAddresses.SequenceEqual(other.PodAddresses) && HostAddresses.SequenceEqual(other.HostAddresses);

    public override int GetHashCode() => HashCode.Combine(Node, Port, PodAddresses.Count, HostAddresses.Count);
}
