using FlowExporter.Configuration;

namespace FlowExporter.Kubernetes;

/// <summary>
/// Settings of the Kubernetes metadata source (YAML section <c>kubernetes</c>). <see cref="Kubeconfig"/> null means
/// in-cluster configuration (the pod's service account).
/// </summary>
public sealed record KubernetesOptions
{
    public static readonly string[] Keys = ["enabled", "kubeconfig", "node_filter", "resync", "retention", "request_timeout", "max_objects", "max_retained"];

    public bool Enabled { get; init; }

    /// <summary>Path of a kubeconfig file; null for the in-cluster service account.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>When set, only pods scheduled on this node are listed (cheaper; remote peers stay unlabelled).</summary>
    public string? NodeFilter { get; init; }

    /// <summary>A full relist this often even when the watch is healthy; zero disables it.</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a deleted or finished pod keeps its labels.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromMinutes(2);

    public int MaxObjectsPerKind { get; init; } = 200_000;

    public int MaxRetained { get; init; } = 10_000;

    /// <summary>Timeout of one list page and of opening a watch.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The server ends each watch after about this long (<c>timeoutSeconds</c>, with jitter up to twice).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Changes are batched into one new index at most this often.</summary>
    public TimeSpan PublishInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public int ListPageSize { get; init; } = 500;

    /// <summary>
    /// Reads the <c>kubernetes</c> section. <c>enabled: auto</c> (the default) turns the source on when a kubeconfig
    /// is given or when running in a cluster (<c>KUBERNETES_SERVICE_HOST</c> set); <c>true</c> insists on it.
    /// </summary>
    public static KubernetesOptions FromConfiguration(IConfigurationSection section, Func<string, string?>? environment = null)
    {
        ConfigReader.RejectUnknown(section, Keys);
        environment ??= Environment.GetEnvironmentVariable;
        var kubeconfig = ConfigReader.String(section, "kubeconfig")?.Trim() is { Length: > 0 } path ? path : null;
        var inCluster = !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST"));
        var enabled = ConfigReader.Enum(section, "enabled", kubeconfig is not null || inCluster, ("auto", kubeconfig is not null || inCluster), ("true", true), ("false", false));
        // Every value is checked even when the source is off: a wrong one should not wait for the day it is turned on.
        var defaults = new KubernetesOptions();
        var options = new KubernetesOptions
        {
            Enabled = enabled,
            Kubeconfig = kubeconfig,
            NodeFilter = ConfigReader.String(section, "node_filter")?.Trim() is { Length: > 0 } node ? node : null,
            Resync = ConfigReader.Duration(section, "resync", defaults.Resync, TimeSpan.Zero),
            Retention = ConfigReader.Duration(section, "retention", defaults.Retention, TimeSpan.Zero),
            RequestTimeout = ConfigReader.Duration(section, "request_timeout", defaults.RequestTimeout, TimeSpan.FromMilliseconds(100)),
            MaxObjectsPerKind = ConfigReader.Int(section, "max_objects", defaults.MaxObjectsPerKind, 1, int.MaxValue),
            MaxRetained = ConfigReader.Int(section, "max_retained", defaults.MaxRetained, 0, int.MaxValue),
        };

        if (!enabled)
        {
            return new KubernetesOptions { Enabled = false };
        }

        if (kubeconfig is null && !inCluster)
        {
            throw new ConfigException(ConfigReader.Path(section, "enabled"), "is true but no kubeconfig is set and KUBERNETES_SERVICE_HOST is not (not in a cluster)");
        }

        if (kubeconfig is not null && !File.Exists(kubeconfig))
        {
            throw new ConfigException(ConfigReader.Path(section, "kubeconfig"), $"file '{kubeconfig}' does not exist");
        }

        return options;
    }
}
