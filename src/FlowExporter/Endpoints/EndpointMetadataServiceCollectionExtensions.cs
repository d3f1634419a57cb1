using FlowExporter.Sources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowExporter.Endpoints;

public static class EndpointMetadataServiceCollectionExtensions
{
    /// <summary>
    /// Registers the merged metadata view once (<see cref="EndpointMetadata"/>, which also writes
    /// <c>network_endpoint_info</c>); every metadata source's registration calls this.
    /// </summary>
    public static IServiceCollection AddEndpointMetadata(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(EndpointMetadata)))
        {
            return services;
        }

        services.TryAddSingleton<EndpointMetadata>();
        services.AddSingleton<IMetricsContributor>(sp => sp.GetRequiredService<EndpointMetadata>());
        return services;
    }
}
