using FlowExporter.Configuration;
using FlowExporter.Kubernetes;
using Microsoft.Extensions.Configuration;

namespace FlowExporter.Tests.Kubernetes;

public sealed class KubernetesOptionsTests
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("kubernetes:" + v.Key, v.Value)))
            .Build()
            .GetSection("kubernetes");

    private static string? NotInCluster(string name) => null;

    private static string? InCluster(string name) => name == "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : null;

    [Fact]
    public void Nothing_configured_outside_a_cluster_is_off() =>
        Assert.False(KubernetesOptions.FromConfiguration(Section(), NotInCluster).Enabled);

    [Fact]
    public void Auto_turns_on_in_a_cluster()
    {
        var options = KubernetesOptions.FromConfiguration(Section(), InCluster);
        Assert.True(options.Enabled);
        Assert.Null(options.Kubeconfig);
    }

    [Fact]
    public void Auto_turns_on_with_a_kubeconfig_and_reads_the_other_keys()
    {
        var file = Path.GetTempFileName();
        try
        {
            var options = KubernetesOptions.FromConfiguration(
                Section(("kubeconfig", file), ("node_filter", "node-1"), ("resync", "10m"), ("retention", "90s"), ("max_objects", "5000"), ("max_retained", "0"), ("request_timeout", "5s")),
                NotInCluster);
            Assert.Equal(
                (true, file, "node-1", TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(90), 5000, 0, TimeSpan.FromSeconds(5)),
                (options.Enabled, options.Kubeconfig, options.NodeFilter, options.Resync, options.Retention, options.MaxObjectsPerKind, options.MaxRetained, options.RequestTimeout));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void False_wins_even_in_a_cluster() =>
        Assert.False(KubernetesOptions.FromConfiguration(Section(("enabled", "false")), InCluster).Enabled);

    [Theory]
    [InlineData("enabled", "yes", "config: kubernetes.enabled: 'yes' is not one of auto, true, false")]
    [InlineData("kubeconfig", "/nonexistent/kubeconfig", "config: kubernetes.kubeconfig: file '/nonexistent/kubeconfig' does not exist")]
    public void Bad_values_name_the_key(string key, string value, string message)
    {
        var error = Assert.Throws<ConfigException>(() => KubernetesOptions.FromConfiguration(Section((key, value)), InCluster));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void True_outside_a_cluster_without_kubeconfig_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => KubernetesOptions.FromConfiguration(Section(("enabled", "true")), NotInCluster));
        Assert.StartsWith("config: kubernetes.enabled: is true but no kubeconfig", error.Message);
    }

    [Fact]
    public void Bad_durations_and_counts_name_the_key()
    {
        Assert.Equal("kubernetes.resync", Assert.Throws<ConfigException>(() => KubernetesOptions.FromConfiguration(Section(("resync", "soon")), InCluster)).Key);
        Assert.Equal("kubernetes.max_objects", Assert.Throws<ConfigException>(() => KubernetesOptions.FromConfiguration(Section(("max_objects", "0")), InCluster)).Key);
    }

    [Fact]
    public void A_broken_kubeconfig_stops_the_start_without_leaking_its_token()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "users:\n- name: x\n  user:\n    token: s3cr3t-token\ncurrent-context: missing\n");
            var options = KubernetesOptions.FromConfiguration(Section(("kubeconfig", file)), NotInCluster);
            var error = Assert.Throws<ConfigException>(() => KubernetesServiceCollectionExtensions.BuildClientConfiguration(options));
            Assert.Equal("kubernetes.kubeconfig", error.Key);
            Assert.DoesNotContain("s3cr3t", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
