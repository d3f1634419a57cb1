namespace FlowExporter.Configuration;

/// <summary><c>capture.engine</c>: how live interfaces are counted.</summary>
public enum CaptureEngineKind
{
    /// <summary>eBPF where the program loads, else libpcap with one warning naming why.</summary>
    Auto,

    /// <summary>The in-kernel TC program; the exporter does not start (exit 2) when it cannot load.</summary>
    Ebpf,

    /// <summary>libpcap: every frame's headers decoded in user space.</summary>
    Libpcap,
}
