using FlowExporter.Capture.Points;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Endpoints;
using FlowExporter.Sources;

namespace FlowExporter.Capture;

/// <summary>The capture source: live interfaces (<see cref="LiveCapture"/>) or a replayed file (<see cref="FileReplayCapture"/>).</summary>
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
        if (options.ReplayFile is not null)
        {
            services.AddSingleton<FileReplayCapture>();
            services.AddHostedService(provider => provider.GetRequiredService<FileReplayCapture>());
        }
        else
        {
            services.AddSingleton<ICapturePointOpener, LibpcapPointOpener>();
            services.AddSingleton<LiveCapture>();
            services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<LiveCapture>());
            services.AddHostedService(provider => provider.GetRequiredService<LiveCapture>());
        }
    }
}
