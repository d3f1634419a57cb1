using FlowExporter.Configuration;

namespace FlowExporter.Probes;

/// <summary>
/// The <c>probes</c> section: kubenurse-style probes of the other exporters' <c>/healthz</c> over the pod and host
/// networks. Off unless <c>enabled</c>; peers come from <c>peers</c> (a static list) and/or <c>kubernetes</c> (the
/// exporter pods the Kubernetes source sees).
/// </summary>
public sealed record ProbeOptions
{
    public static readonly string[] Keys =
    [
        "enabled", "interval", "timeout", "jitter", "port", "scheme", "path", "paths",
        "max_concurrent", "max_targets_per_round", "max_peers", "retention", "include_traffic", "peers", "kubernetes",
    ];

    public bool Enabled { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Each round starts a random 0..jitter later than the interval alone says, so exporters do not probe in step.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The peers' listen port when a peer does not name its own; 0 means this exporter's own listen port.</summary>
    public int Port { get; init; }

    public string Scheme { get; init; } = "http";

    public string HttpPath { get; init; } = "/healthz";

    public IReadOnlySet<ProbePath> Paths { get; init; } = new HashSet<ProbePath> { ProbePath.Pod, ProbePath.Host };

    public int MaxConcurrent { get; init; } = 8;

    /// <summary>Targets probed per round at most; with more, rounds take turns (round-robin) so each is probed in time.</summary>
    public int MaxTargetsPerRound { get; init; } = 64;

    /// <summary>Peers held at most (the peer list beyond it is dropped and counted).</summary>
    public int MaxPeers { get; init; } = 5000;

    /// <summary>How long a peer that left the peer list keeps its series.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Account probe traffic in the connection series like any other traffic (off: counted as ignored, reason probe).</summary>
    public bool IncludeTraffic { get; init; }

    public IReadOnlyList<ExporterPeer> StaticPeers { get; init; } = [];

    /// <summary>Exporter pods from the Kubernetes source; null when not configured.</summary>
    public PeerSelector? Kubernetes { get; init; }

    public static ProbeOptions FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(section, Keys);
        var enabled = ConfigReader.Bool(section, "enabled", false);
        var defaults = new ProbeOptions();
        var interval = ConfigReader.Duration(section, "interval", defaults.Interval, TimeSpan.FromMilliseconds(100));
        var timeout = ConfigReader.Duration(section, "timeout", defaults.Timeout, TimeSpan.FromMilliseconds(10));
        if (timeout > interval)
        {
            throw new ConfigException(ConfigReader.Path(section, "timeout"), $"must not be longer than the interval ({interval.TotalSeconds:0.###}s)");
        }

        var path = ConfigReader.String(section, "path") ?? defaults.HttpPath;
        if (!path.StartsWith('/') || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ConfigException(ConfigReader.Path(section, "path"), $"'{path}' is not an absolute URL path (example: /healthz)");
        }

        var paths = new HashSet<ProbePath>();
        foreach (var name in ConfigReader.List(section, "paths"))
        {
            paths.Add(name.ToLowerInvariant() switch
            {
                "pod" => ProbePath.Pod,
                "host" => ProbePath.Host,
                _ => throw new ConfigException(ConfigReader.Path(section, "paths"), $"'{name}' is not one of pod, host"),
            });
        }

        var port = ConfigReader.Int(section, "port", 0, 0, 65535);
        var options = new ProbeOptions
        {
            Enabled = enabled,
            Interval = interval,
            Timeout = timeout,
            Jitter = ConfigReader.Duration(section, "jitter", defaults.Jitter, TimeSpan.Zero),
            Port = port,
            Scheme = ConfigReader.Enum(section, "scheme", "http", ("http", "http"), ("https", "https")),
            HttpPath = path,
            Paths = paths.Count > 0 ? paths : defaults.Paths,
            MaxConcurrent = ConfigReader.Int(section, "max_concurrent", defaults.MaxConcurrent, 1, 1024),
            MaxTargetsPerRound = ConfigReader.Int(section, "max_targets_per_round", defaults.MaxTargetsPerRound, 1, 100_000),
            MaxPeers = ConfigReader.Int(section, "max_peers", defaults.MaxPeers, 1, 100_000),
            Retention = ConfigReader.Duration(section, "retention", defaults.Retention, TimeSpan.Zero),
            IncludeTraffic = ConfigReader.Bool(section, "include_traffic", false),
            StaticPeers = ReadPeers(section, port),
            Kubernetes = section.GetSection("kubernetes").Exists() ? PeerSelector.FromConfiguration(section.GetSection("kubernetes")) : null,
        };

        if (enabled && options.StaticPeers.Count == 0 && options.Kubernetes is null)
        {
            throw new ConfigException(ConfigReader.Path(section, "enabled"), "is true but no peers are configured: set probes.peers or probes.kubernetes");
        }

        return options;
    }

    /// <summary>The port to probe when neither the peer nor <c>probes.port</c> names one.</summary>
    public ProbeOptions WithDefaultPort(int listenPort) =>
        this with
        {
            Port = Port == 0 ? listenPort : Port,
            StaticPeers = [.. StaticPeers.Select(p => p.Port == 0 ? p with { Port = Port == 0 ? listenPort : Port } : p)],
        };

    private static List<ExporterPeer> ReadPeers(IConfigurationSection section, int defaultPort)
    {
        var peers = new List<ExporterPeer>();
        foreach (var entry in ConfigReader.Entries(section, "peers", "name", "pod", "host", "port"))
        {
            var name = ConfigReader.String(entry, "name") ?? throw new ConfigException(ConfigReader.Path(entry, "name"), "is required (the peer's node name)");
            if (name.Length > 253 || name.Any(char.IsControl))
            {
                throw new ConfigException(ConfigReader.Path(entry, "name"), "must be a name of at most 253 characters");
            }

            var pod = Address(entry, "pod");
            var host = Address(entry, "host");
            if (pod is null && host is null)
            {
                throw new ConfigException(ConfigReader.Path(entry, "host"), "a peer needs a host or a pod address (an IP or a DNS name)");
            }

            if (peers.Any(p => p.Node == name))
            {
                throw new ConfigException(ConfigReader.Path(entry, "name"), $"peer '{name}' is listed twice");
            }

            peers.Add(new ExporterPeer(name, pod is null ? [] : [pod], host is null ? [] : [host], ConfigReader.Int(entry, "port", defaultPort, 0, 65535)));
        }

        return peers;
    }

    private static string? Address(IConfigurationSection entry, string key)
    {
        var text = ConfigReader.String(entry, key)?.Trim();
        if (text is null)
        {
            return null;
        }

        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            text = text[1..^1];
        }

        if (!System.Net.IPAddress.TryParse(text, out _) && Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            throw new ConfigException(ConfigReader.Path(entry, key), $"'{text}' is not an IP address or a DNS name (give the port in port:)");
        }

        return text;
    }
}
