using FlowExporter.Configuration;
using FlowExporter.Sources;

namespace FlowExporter.Snmp;

/// <summary>The SNMP source, on when <c>snmp.targets</c> lists a switch.</summary>
public sealed class SnmpModule : SourceModule<SnmpOptions>
{
    public override string Name => SnmpSource.SourceName;

    protected override SnmpOptions ReadOptions(ExporterOptions options) => SnmpOptions.FromConfiguration(options.Root.GetSection("snmp"));

    protected override bool IsEnabled(SnmpOptions options) => options.Enabled;

    protected override void AddServices(IServiceCollection services, SnmpOptions options, ExporterOptions exporter) =>
        services.AddSnmpSource(options);
}
