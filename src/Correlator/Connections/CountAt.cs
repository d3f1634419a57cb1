namespace FlowExporter.Correlator.Connections;

/// <summary>Where a connection seen at several capture points is counted (the <c>connections.count_at</c> setting).</summary>
public enum CountAt
{
    /// <summary>
    /// Once per node: one table entry and one series per 5-tuple, counted at the first capture point whose packet of
    /// it reached the table (its <c>interface</c> label); what other points saw of it is counted per point only, as
    /// duplicates.
    /// </summary>
    Node,

    /// <summary>At every capture point: one table entry and one series per point and 5-tuple (for path reconciliation).</summary>
    EveryPoint,
}
