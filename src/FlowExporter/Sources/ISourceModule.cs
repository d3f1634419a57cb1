using FlowExporter.Configuration;

namespace FlowExporter.Sources;

/// <summary>
/// The registration side of a source, one per source folder, listed once in <c>Hosting/SourceModules.cs</c>. It names
/// the source (the <c>source</c> label of the health series and a name <c>readiness.sources</c> accepts) and, when its
/// configuration enables it, registers its services. docs/sources.md has the whole contract.
/// </summary>
public interface ISourceModule
{
    /// <summary>The <c>source</c> label: lower case, underscores.</summary>
    string Name { get; }

    /// <summary>Reads and validates the source's options (a bad value throws ConfigException) and registers it if enabled.</summary>
    void Register(IServiceCollection services, ExporterOptions options);
}
