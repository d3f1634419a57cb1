namespace FlowExporter.Capture.Ebpf;

/// <summary>Which endpoint of a canonical key sent a SYN without ACK and which a SYN-ACK (bits as bpf/flow.bpf.c sets them).</summary>
[Flags]
public enum HandshakeEvidence : byte
{
    None = 0,
    SynFromA = 1,
    SynFromB = 2,
    SynAckFromA = 4,
    SynAckFromB = 8,
}
