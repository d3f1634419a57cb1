using FlowExporter.Capture.Points;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Opens a capture point with the eBPF engine: the program attached to the point's ingress and egress
/// (<see cref="TcAttachment"/>: our priority and handle, replacing a filter of ours left by a killed run), its interface
/// index mapped to the point's interface id for the sweep. Disposing the handle detaches both filters and removes the
/// clsact qdisc when this attach created it.
/// </summary>
public sealed partial class EbpfPointOpener : ICapturePointOpener
{
    private readonly EbpfProgram _program;
    private readonly EbpfInterfaceMap _interfaces;
    private readonly ConnectionAccounting _accounting;
    private readonly ILogger<EbpfPointOpener> _logger;

    public EbpfPointOpener(EbpfProgram program, EbpfInterfaceMap interfaces, ConnectionAccounting accounting, ILogger<EbpfPointOpener> logger)
    {
        _program = program;
        _interfaces = interfaces;
        _accounting = accounting;
        _logger = logger;
    }

    public ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(point);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ICapturePointHandle>(Open(point.Index, point.Name));
    }

    /// <summary>Attaches to the interface now; throws <see cref="EbpfException"/> (classified) when it cannot.</summary>
    public EbpfPoint Open(int interfaceIndex, string name)
    {
        var sink = _accounting.RegisterInterface(name);
        var counts = _interfaces.Set(interfaceIndex, sink.Id);
        var attachment = TcAttachment.Attach(_program, interfaceIndex);
        LogAttached(_logger, name, interfaceIndex, attachment.CreatedQdisc);
        return new EbpfPoint(name, attachment, counts, _logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: eBPF attached to {Interface} (index {Index}, ingress and egress; clsact created: {CreatedQdisc})")]
    private static partial void LogAttached(ILogger logger, string @interface, int index, bool createdQdisc);
}
