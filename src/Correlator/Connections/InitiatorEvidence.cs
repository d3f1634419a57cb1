namespace FlowExporter.Correlator.Connections;

/// <summary>How a connection's initiator was decided (the <c>initiator_evidence</c> label), strongest first.</summary>
public enum InitiatorEvidence : byte
{
    /// <summary>A TCP SYN without ACK: its sender initiated.</summary>
    Syn,

    /// <summary>A TCP SYN-ACK (the SYN was not seen): its receiver initiated.</summary>
    SynAck,

    /// <summary>Picked up mid-stream: the lower (service) port is the target.</summary>
    Port,

    /// <summary>No port tells (equal ports, or a protocol without ports): the first packet's sender initiated.</summary>
    FirstPacket,
}
