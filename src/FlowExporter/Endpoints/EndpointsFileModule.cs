using FlowExporter.Configuration;
using FlowExporter.Sources;

namespace FlowExporter.Endpoints;

/// <summary>The static endpoints file source, on when <c>endpoints_file</c> names a file.</summary>
public sealed class EndpointsFileModule : SourceModule<EndpointsFileOptions>
{
    public override string Name => EndpointsFileSource.SourceName;

    protected override EndpointsFileOptions ReadOptions(ExporterOptions options) => EndpointsFileOptions.FromConfiguration(options.Root);

    protected override bool IsEnabled(EndpointsFileOptions options) => options.Enabled;

    protected override void AddServices(IServiceCollection services, EndpointsFileOptions options, ExporterOptions exporter) =>
        services.AddEndpointsFileSource(options);
}
