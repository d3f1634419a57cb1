namespace FlowExporter.Correlator.Connections;

/// <summary>Why a connection's flow record ends (IPFIX flowEndReason, RFC 7011 §7 / IANA).</summary>
public enum RecordEnd : byte
{
    /// <summary>The connection timed out idle.</summary>
    IdleTimeout,

    /// <summary>The connection lives on: this record covers one active timeout.</summary>
    ActiveTimeout,

    /// <summary>FIN or RST ended the connection.</summary>
    EndOfFlow,

    /// <summary>The exporter stopped, or a replayed file ended.</summary>
    ForcedEnd,

    /// <summary>The table was full and evicted the connection.</summary>
    LackOfResources,
}
