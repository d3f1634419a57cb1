namespace FlowExporter.Correlator.Connections;

/// <summary>A connection's retransmitted TCP segments per direction since it opened (0 and 0 without quality).</summary>
public readonly record struct RetransmissionTotals(uint Initiator, uint Target);
