namespace FlowExporter.Correlator.Ipfix;

/// <summary>IPFIX flowEndReason (IE 136, RFC 7012 / IANA "flowEndReason Values"): why a record was exported.</summary>
public enum FlowEndReason : byte
{
    /// <summary>No packet for the table's idle timeout (our close reason timeout).</summary>
    IdleTimeout = 1,

    /// <summary>A live connection reached the active timeout; it goes on, the next record has the next delta.</summary>
    ActiveTimeout = 2,

    /// <summary>FIN both ways or RST (our close reasons fin and rst).</summary>
    EndOfFlow = 3,

    /// <summary>The exporter stopped (shutdown, end of a replayed file) with the connection still open.</summary>
    ForcedEnd = 4,

    /// <summary>Evicted from the full table for a new connection (our close reason evicted).</summary>
    LackOfResources = 5,
}
