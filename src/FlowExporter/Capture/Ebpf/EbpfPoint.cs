namespace FlowExporter.Capture.Ebpf;

/// <summary>One open eBPF capture point: disposing it detaches the program from the interface (once).</summary>
public sealed partial class EbpfPoint : IAsyncDisposable, IDisposable
{
    private readonly TcAttachment _attachment;
    private readonly ILogger _logger;
    private int _disposed;

    internal EbpfPoint(string name, TcAttachment attachment, ILogger logger)
    {
        Name = name;
        _attachment = attachment;
        _logger = logger;
    }

    public string Name { get; }

    public int InterfaceIndex => _attachment.InterfaceIndex;

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
