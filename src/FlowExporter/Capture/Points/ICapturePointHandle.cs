namespace FlowExporter.Capture.Points;

/// <summary>
/// One open capture point, whatever engine captures it: its health and its counters, read from any thread (scrapes,
/// the health loop). Disposing it stops the capture and releases its kernel resources.
/// </summary>
public interface ICapturePointHandle : IAsyncDisposable
{
    /// <summary>The engine capturing this point: <c>libpcap</c>, <c>ebpf</c>.</summary>
    string Engine { get; }

    /// <summary>True while frames are being captured (the device is open and its loop running).</summary>
    bool IsCapturing { get; }

    /// <summary>A label-safe reason for the last failure (<c>open_failed</c>, <c>capture_failed</c>, <c>missing_capability</c>, ...); null while capturing.</summary>
    string? LastReason { get; }

    /// <summary>Frames that passed the kernel filter since the point was opened (libpcap ps_recv).</summary>
    long Received { get; }

    /// <summary>Frames the kernel dropped for lack of buffer since the point was opened (libpcap ps_drop).</summary>
    long KernelDropped { get; }

    /// <summary>Frames the interface or driver dropped since the point was opened (libpcap ps_ifdrop).</summary>
    long InterfaceDropped { get; }
}
