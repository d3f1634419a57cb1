using FlowExporter.Configuration;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Points;

/// <summary>
/// The libpcap engine behind the capture-point seam: an <see cref="InterfaceCapture"/> per point, on a thread of its
/// own, with the point's kernel ring (<see cref="PlannedPoint.BufferBytes"/>), feeding the connection table through
/// the point's sink (its <c>interface</c> label).
/// </summary>
public sealed class LibpcapPointOpener : ICapturePointOpener
{
    private readonly ConnectionAccounting _accounting;
    private readonly CaptureOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LibpcapPointOpener> _logger;

    public LibpcapPointOpener(ConnectionAccounting accounting, ExporterOptions options, TimeProvider time, ILogger<LibpcapPointOpener> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _accounting = accounting;
        _options = options.Capture;
        _time = time;
        _logger = logger;
    }

    public ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(point);
        cancellationToken.ThrowIfCancellationRequested();
        var capture = new InterfaceCapture(_accounting.RegisterInterface(point.Name), _options, point.BufferBytes, point.Index, _time, _logger);
        return ValueTask.FromResult<ICapturePointHandle>(new LibpcapPointHandle(capture, _logger));
    }
}
