using FlowExporter.Sources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowExporter.Endpoints;

public static class EndpointsFileServiceCollectionExtensions
{
    /// <summary>
    /// Registers the static endpoints file source when a file is configured. The file is read and validated when the
    /// source is first resolved, so call <c>GetRequiredService&lt;EndpointsFileSource&gt;()</c> at start to fail early.
    /// Expects <see cref="SourceHealth"/> to be registered by the host (TimeProvider.System is added if no TimeProvider is).
    /// </summary>
    public static IServiceCollection AddEndpointsFileSource(this IServiceCollection services, EndpointsFileOptions options)
    {
        if (!options.Enabled)
        {
            return services;
        }

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EndpointsFileSource>();
        services.AddHostedService(sp => sp.GetRequiredService<EndpointsFileSource>());
        services.AddSingleton<IEndpointIndexSource>(sp => sp.GetRequiredService<EndpointsFileSource>());
        services.AddEndpointMetadata();
        return services;
    }
}
