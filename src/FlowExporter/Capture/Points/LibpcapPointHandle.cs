namespace FlowExporter.Capture.Points;

/// <summary>One point captured by libpcap: its <see cref="InterfaceCapture"/> loop runs on a long-running thread until disposed.</summary>
internal sealed partial class LibpcapPointHandle : ICapturePointHandle
{
    private readonly InterfaceCapture _capture;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    public LibpcapPointHandle(InterfaceCapture capture, ILogger logger)
    {
        _capture = capture;
        _loop = Task.Factory.StartNew(() => Run(capture, logger, _stop.Token), _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public string Engine => "libpcap";

    public bool IsCapturing => _capture.IsOpen && !_loop.IsCompleted;

    public string? LastReason => _loop.IsFaulted ? "capture_failed" : _capture.LastReason;

    public long Received => _capture.KernelReceived;

    public long KernelDropped => _capture.KernelDropped;

    public long InterfaceDropped => _capture.InterfaceDropped;

    /// <summary>Stops the loop (it notices within one poll interval, 200 ms), closes the device and frees the callback handle.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _capture.Dispose();
        _stop.Dispose();
    }

    private static void Run(InterfaceCapture capture, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            capture.Run(cancellationToken);
        }
        catch (Exception error)
        {
            // A bug, not a capture failure (those are handled inside the loop): say so, and report the point down.
            LogLoopFailed(logger, error, capture.Name);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "capture: {Interface}: the capture loop failed")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string @interface);
}
