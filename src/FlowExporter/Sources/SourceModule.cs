using FlowExporter.Configuration;

namespace FlowExporter.Sources;

/// <summary>
/// The usual shape of a source's module: read its typed, validated options record; if enabled, register the services
/// (its start and stop are those of the hosted service it registers; its health goes through <see cref="SourceHealth"/>,
/// which the host registers, and its families through an <see cref="IMetricsContributor"/>).
/// </summary>
/// <typeparam name="TOptions">The source's options record.</typeparam>
public abstract class SourceModule<TOptions> : ISourceModule
    where TOptions : class
{
    public abstract string Name { get; }

    public void Register(IServiceCollection services, ExporterOptions options)
    {
        var own = ReadOptions(options);
        if (own is not null && IsEnabled(own))
        {
            AddServices(services, own, options);
        }
    }

    /// <summary>The source's section, read and validated (null when absent); throws ConfigException naming the key on a bad value.</summary>
    protected abstract TOptions? ReadOptions(ExporterOptions options);

    protected abstract bool IsEnabled(TOptions options);

    /// <summary>Registers the hosted service(s), the metrics contributor(s) and whatever else the source offers.</summary>
    protected abstract void AddServices(IServiceCollection services, TOptions options, ExporterOptions exporter);
}
