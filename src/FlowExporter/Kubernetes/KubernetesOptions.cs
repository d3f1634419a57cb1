using System.Globalization;
using FlowExporter.Configuration;

namespace FlowExporter.Kubernetes;

/// <summary>
/// Settings of the Kubernetes metadata source (YAML section <c>kubernetes</c>). <see cref="Kubeconfig"/> null means
/// in-cluster configuration (the pod's service account).
/// </summary>
public sealed record KubernetesOptions
{
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
        environment ??= Environment.GetEnvironmentVariable;
        var prefix = section.Path.Replace(':', '.');
        var kubeconfig = NullIfEmpty(section["kubeconfig"]);
        var inCluster = !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST"));
        var enabledText = (NullIfEmpty(section["enabled"]) ?? "auto").ToLowerInvariant();
        var enabled = enabledText switch
        {
            "auto" => kubeconfig is not null || inCluster,
            "true" => true,
            "false" => false,
            _ => throw new ConfigException($"{prefix}.enabled", $"'{section["enabled"]}' is not one of auto, true, false"),
        };

        if (!enabled)
        {
            return new KubernetesOptions { Enabled = false };
        }

        if (kubeconfig is null && !inCluster)
        {
            throw new ConfigException($"{prefix}.enabled", "is true but no kubeconfig is set and KUBERNETES_SERVICE_HOST is not (not in a cluster)");
        }

        if (kubeconfig is not null && !File.Exists(kubeconfig))
        {
            throw new ConfigException($"{prefix}.kubeconfig", $"file '{kubeconfig}' does not exist");
        }

        var defaults = new KubernetesOptions();
        return new KubernetesOptions
        {
            Enabled = true,
            Kubeconfig = kubeconfig,
            NodeFilter = NullIfEmpty(section["node_filter"]),
            Resync = Duration(section, "resync", defaults.Resync, TimeSpan.Zero),
            Retention = Duration(section, "retention", defaults.Retention, TimeSpan.Zero),
            RequestTimeout = Duration(section, "request_timeout", defaults.RequestTimeout, TimeSpan.FromMilliseconds(100)),
            MaxObjectsPerKind = Count(section, "max_objects", defaults.MaxObjectsPerKind, 1),
            MaxRetained = Count(section, "max_retained", defaults.MaxRetained, 0),
        };
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static TimeSpan Duration(IConfigurationSection section, string key, TimeSpan fallback, TimeSpan minimum)
    {
        var text = NullIfEmpty(section[key]);
        return text is null ? fallback : Durations.Parse($"{section.Path.Replace(':', '.')}.{key}", text, minimum);
    }

    private static int Count(IConfigurationSection section, string key, int fallback, int minimum)
    {
        var text = NullIfEmpty(section[key]);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw new ConfigException($"{section.Path.Replace(':', '.')}.{key}", $"'{text}' is not a whole number of at least {minimum}");
        }

        return value;
    }
}
