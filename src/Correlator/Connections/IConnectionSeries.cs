namespace FlowExporter.Correlator.Connections;

/// <summary>
/// Where the connection table sends what it counted: the series a connection is exported in. The table holds the
/// handle <see cref="Open"/> returns in the connection's entry, adds the entry's counts at each flush, and gives the
/// handle back when the connection leaves. Implemented by the series side (it keys the series by the label schema);
/// the table knows nothing of labels.
/// </summary>
public interface IConnectionSeries
{
    /// <summary>The series of a connection that just opened (-1: none, counted as rejected by the implementation).</summary>
    int Open(in ConnectionKey key, bool initiatorIsA, InitiatorEvidence evidence);

    /// <summary>Adds what a connection carried since its last flush (forward: from the initiator).</summary>
    void Add(int series, ulong forwardBytes, ulong backwardBytes, ulong forwardPackets, ulong backwardPackets);

    /// <summary>The connection holding <paramref name="series"/> left the table.</summary>
    void Release(int series);

    /// <summary>
    /// The connection holding <paramref name="series"/> moved to another capture point (<see cref="CountAt.Node"/>):
    /// it gives the series back as if it had never opened it; a series nothing has shown yet and only it held leaves.
    /// </summary>
    void Withdraw(int series);
}
