namespace FlowExporter.Capture.Points;

/// <summary>A capture point's kernel counters (libpcap ps_recv, ps_drop, ps_ifdrop), added up across handles.</summary>
internal readonly record struct CapturePointCounters(long Received, long KernelDropped, long InterfaceDropped)
{
    public static CapturePointCounters Of(ICapturePointHandle handle) => new(handle.Received, handle.KernelDropped, handle.InterfaceDropped);

    public static CapturePointCounters operator +(CapturePointCounters left, CapturePointCounters right) =>
        new(left.Received + right.Received, left.KernelDropped + right.KernelDropped, left.InterfaceDropped + right.InterfaceDropped);
}
