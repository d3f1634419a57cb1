using FlowExporter.Endpoints;
using FlowExporter.Kubernetes;
using FlowExporter.Sources;
using FlowExporter.Tests.Kubernetes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace FlowExporter.Tests.Endpoints;

public sealed class RegistrationTests
{
    [Fact]
    public async Task Both_sources_register_once_each_and_the_merged_view_once()
    {
        await using var server = await FakeApiServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("flowexporter-registration-").FullName;
        try
        {
            var kubeconfig = Path.Combine(folder, "kubeconfig");
            File.WriteAllText(kubeconfig, $"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server.BaseAddress}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: t}}\n");
            var endpoints = Path.Combine(folder, "endpoints.yaml");
            File.WriteAllText(endpoints, "- { ip: 192.0.2.10, name: db-1 }\n");

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton(new SourceHealth(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())));
            services.AddKubernetesSource(new KubernetesOptions { Enabled = true, Kubeconfig = kubeconfig });
            services.AddEndpointsFileSource(new EndpointsFileOptions { Path = endpoints });
            services.AddKubernetesSource(new KubernetesOptions { Enabled = false });
            services.AddEndpointsFileSource(new EndpointsFileOptions());
            await using var provider = services.BuildServiceProvider();

            var contributors = provider.GetServices<IMetricsContributor>().ToList();
            Assert.Equal(2, contributors.Count);
            Assert.Single(contributors.OfType<EndpointMetadata>());
            Assert.Single(contributors.OfType<KubernetesSource>());
            Assert.Equal(2, provider.GetServices<IEndpointIndexSource>().Count());
            Assert.Equal(2, provider.GetServices<IHostedService>().Count());
            Assert.Equal("db-1", provider.GetRequiredService<EndpointMetadata>().Current.Find(Correlator.Net.IpAddress.Parse("192.0.2.10"))!.PodName);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
