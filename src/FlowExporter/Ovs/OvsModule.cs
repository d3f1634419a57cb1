using FlowExporter.Configuration;
using FlowExporter.Sources;

namespace FlowExporter.Ovs;

/// <summary>The OVS source (ovsdb or vsctl mode), on when the <c>ovs</c> section is present.</summary>
public sealed class OvsModule : SourceModule<OvsOptions>
{
    public override string Name => IOvsSource.SourceName;

    protected override OvsOptions? ReadOptions(ExporterOptions options) => OvsOptions.FromConfiguration(options.Root.GetSection("ovs"));

    protected override bool IsEnabled(OvsOptions options) => true;

    protected override void AddServices(IServiceCollection services, OvsOptions options, ExporterOptions exporter) =>
        services.AddOvsSource(options, exporter.Node);
}
