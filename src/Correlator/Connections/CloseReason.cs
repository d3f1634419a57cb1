namespace FlowExporter.Correlator.Connections;

/// <summary>Why a connection left the table (the <c>reason</c> label of the closed counter).</summary>
public enum CloseReason : byte
{
    Fin,
    Rst,
    Timeout,
    Evicted,
}
