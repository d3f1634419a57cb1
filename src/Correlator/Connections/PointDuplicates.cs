namespace FlowExporter.Correlator.Connections;

/// <summary>
/// What one capture point saw of connections counted at another point (<see cref="CountAt.Node"/>): packets and wire
/// bytes left out of the connection series so that each connection counts once per node.
/// </summary>
public sealed class PointDuplicates
{
    public long Packets { get; private set; }

    public long Bytes { get; private set; }

    public PointDuplicates Copy() => new() { Packets = Packets, Bytes = Bytes };

    internal void Count(long packets, long bytes)
    {
        Packets += packets;
        Bytes += bytes;
    }
}
