namespace FlowExporter.Capture.Ebpf;

/// <summary>Why the eBPF engine could not load or attach: what <c>capture.engine: auto</c> names when it falls back to libpcap.</summary>
public enum EbpfFailureKind
{
    /// <summary>EPERM/EACCES: the process lacks CAP_BPF, CAP_PERFMON or CAP_NET_ADMIN (or CAP_SYS_ADMIN on older kernels).</summary>
    MissingCapability,

    /// <summary>The kernel has no clsact qdisc or cls_bpf classifier (EOPNOTSUPP, ENOENT or EINVAL from tc).</summary>
    NoClsact,

    /// <summary>The verifier rejected the program; <see cref="EbpfException.VerifierTail"/> holds its last lines.</summary>
    VerifierRejected,

    /// <summary>The object file is missing or not a BPF object this libbpf can open.</summary>
    ObjectInvalid,

    /// <summary>libbpf.so.1 is not installed.</summary>
    LibbpfMissing,

    /// <summary>The interface does not exist in this network namespace (ENODEV).</summary>
    InterfaceMissing,

    /// <summary>Anything else; the errno says what.</summary>
    Other,
}
