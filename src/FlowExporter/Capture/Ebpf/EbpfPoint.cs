using FlowExporter.Capture.Points;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// One capture point counted by the eBPF program: capturing from the attach until disposed; disposing detaches the
/// program from the interface (once). <see cref="Received"/> is the packets the sweeps took from it; the kernel drops
/// nothing here (a full map is the engine's <c>map_full</c>, not the point's).
/// </summary>
public sealed partial class EbpfPoint : ICapturePointHandle, IDisposable
{
    private readonly TcAttachment _attachment;
    private readonly EbpfPointCounts _counts;
    private readonly ILogger _logger;
    private int _disposed;

    internal EbpfPoint(string name, TcAttachment attachment, EbpfPointCounts counts, ILogger logger)
    {
        Name = name;
        _attachment = attachment;
        _counts = counts;
        _logger = logger;
    }

    public string Name { get; }

    public int InterfaceIndex => _attachment.InterfaceIndex;

    public string Engine => EngineSelector.Ebpf;

    public bool IsCapturing => Volatile.Read(ref _disposed) == 0;

    public string? LastReason => null;

    public long Received => _counts.Received;

    public long KernelDropped => 0;

    public long InterfaceDropped => 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _attachment.Dispose();
        if (_attachment.DetachError != 0)
        {
            LogDetachFailed(_logger, Name, _attachment.InterfaceIndex, LinuxErrno.Describe(_attachment.DetachError));
        }
        else
        {
            LogDetached(_logger, Name, _attachment.InterfaceIndex);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: eBPF detached from {Interface} (index {Index})")]
    private static partial void LogDetached(ILogger logger, string @interface, int index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "capture: detaching eBPF from {Interface} (index {Index}) failed: {Error}; `tc filter show dev {Interface} ingress` lists what is left")]
    private static partial void LogDetachFailed(ILogger logger, string @interface, int index, string error);
}
