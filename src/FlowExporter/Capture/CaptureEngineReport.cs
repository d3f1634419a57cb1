using FlowExporter.Capture.Ebpf;
using Prometheus;

namespace FlowExporter.Capture;

/// <summary>
/// Says which capture engine the start chose: <c>flowexporter_capture_engine_info{engine}</c> = 1, and one log line
/// at start (a warning naming the reason when <c>auto</c> fell back to libpcap).
/// </summary>
public sealed partial class CaptureEngineReport : IHostedService
{
    private readonly string _engine;
    private readonly string? _fallbackWarning;
    private readonly string? _why;
    private readonly ILogger<CaptureEngineReport> _logger;

    public CaptureEngineReport(EngineDecision<EbpfProgram> decision, IMetricFactory factory, ILogger<CaptureEngineReport> logger)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(factory);
        _engine = decision.Engine;
        _fallbackWarning = decision.FallbackWarning;
        _why = decision.Why;
        _logger = logger;
        factory.CreateGauge("flowexporter_capture_engine_info", "The engine that counts live capture points: ebpf or libpcap (always 1).", ["engine"])
            .WithLabels(_engine)
            .Set(1);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_fallbackWarning is { } warning)
        {
            LogFallback(_logger, warning);
        }
        else if (_why is { } why)
        {
            LogEngineBecause(_logger, _engine, why);
        }
        else
        {
            LogEngine(_logger, _engine);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogFallback(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: engine {Engine}")]
    private static partial void LogEngine(ILogger logger, string engine);

    [LoggerMessage(Level = LogLevel.Information, Message = "capture: engine {Engine} ({Why})")]
    private static partial void LogEngineBecause(ILogger logger, string engine, string why);
}
