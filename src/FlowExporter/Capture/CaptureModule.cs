using FlowExporter.Capture.Ebpf;
using FlowExporter.Capture.Points;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Endpoints;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>
/// The capture source: live interfaces counted by libpcap (<see cref="LiveCapture"/>) or by the eBPF program
/// (<see cref="EbpfPointOpener"/>, <see cref="EbpfSweepService"/>), as <c>capture.engine</c> decides, or a replayed file (<see cref="FileReplayCapture"/>).
/// </summary>
public sealed class CaptureModule : SourceModule<CaptureOptions>
{
    public override string Name => LiveCapture.SourceName;

    protected override CaptureOptions ReadOptions(ExporterOptions options) => options.Capture;

    protected override bool IsEnabled(CaptureOptions options) => options.Enabled;

    protected override void AddServices(IServiceCollection services, CaptureOptions options, ExporterOptions exporter)
    {
        services.AddSingleton(provider =>
        {
            var metadata = provider.GetService<EndpointMetadata>();
            return new ConnectionAccounting(
                exporter, provider.GetRequiredService<TimeProvider>(), metadata is null ? null : () => metadata.Current, flowRecords: provider.GetService<IFlowRecordSink>());
        });
        services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<ConnectionAccounting>());
        // The engine is decided once, here at start: a replay is always libpcap's decoder; auto falls back to libpcap
        // when the program cannot load or a capture filter is set, ebpf stops the start then (a ConfigException, exit 2).
        var decision = EngineSelector.Decide(
            options.Engine, replay: options.ReplayFile is not null, () => LoadProgram(options.Ebpf), captureFilter: !string.IsNullOrWhiteSpace(options.Bpf));
        services.AddSingleton(decision);
        services.AddHostedService<CaptureEngineReport>();
        if (options.ReplayFile is not null)
        {
            services.AddSingleton<FileReplayCapture>();
            services.AddHostedService(provider => provider.GetRequiredService<FileReplayCapture>());
        }
        else
        {
            if (decision.IsEbpf)
            {
                AddEbpf(services, decision);
            }
            else
            {
                services.AddSingleton<ICapturePointOpener, LibpcapPointOpener>();
            }

            services.AddSingleton<LiveCapture>();
            services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<LiveCapture>());
            services.AddHostedService(provider => provider.GetRequiredService<LiveCapture>());
        }
    }

    private static EbpfProgram LoadProgram(EbpfOptions options)
    {
        ThreadCapabilities.RaisePermitted();
        return EbpfProgram.Load(options.ObjectPath ?? EbpfProgram.DefaultObjectPath, (uint)options.MaxConnections);
    }

    private static void AddEbpf(IServiceCollection services, EngineDecision<EbpfProgram> decision)
    {
        // Created by a factory so that the container disposes it (closes the object) after the capture has detached.
        services.AddSingleton(_ => decision.Program!);
        services.AddSingleton<EbpfInterfaceMap>();
        services.AddSingleton<ICapturePointOpener, EbpfPointOpener>();

        // Registered before the live capture, so it stops after it: its last sweep follows the detach of every point.
        services.AddSingleton<EbpfSweepService>();
        services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<EbpfSweepService>());
        services.AddHostedService(provider => provider.GetRequiredService<EbpfSweepService>());
    }
}
