using FlowExporter.Correlator.Quality;

namespace FlowExporter.Configuration;

/// <summary>The exporter's own settings and the capture and connection sections, validated at start.</summary>
public sealed record ExporterOptions
{
    public static readonly string[] TopLevelKeys =
        ["listen", "node", "web_config_file", "capture", "connections", "quality", "ovs", "snmp", "kubernetes", "endpoints_file", "probes", "readiness", "ipfix"];

    public required ListenAddress Listen { get; init; }

    public required string Node { get; init; }

    public string? WebConfigFile { get; init; }

    public required CaptureOptions Capture { get; init; }

    public required ConnectionsOptions Connections { get; init; }

    /// <summary>Connection quality from the capture (the <c>quality</c> section).</summary>
    public required QualityOptions Quality { get; init; }

    /// <summary>Flow records to IPFIX collectors (the <c>ipfix</c> section); off without collectors.</summary>

    /// <summary>The whole configuration, for the sources that read their own sections.</summary>
    public required IConfiguration Root { get; init; }

    public static ExporterOptions FromConfiguration(IConfiguration root, string hostName)
    {
        ConfigReader.RejectUnknown(root, TopLevelKeys);

        var node = ConfigReader.String(root, "node") ?? hostName;
        if (node.Length is 0 or > 253 || node.Any(char.IsControl))
        {
            throw new ConfigException("node", "must be a non-empty name of at most 253 characters");
        }

        var connections = ConnectionsOptions.FromConfiguration(root.GetSection("connections"));
        return new ExporterOptions
        {
            Listen = ListenAddress.Parse("listen", ConfigReader.String(root, "listen") ?? "0.0.0.0:9004"),
            Node = node,
            WebConfigFile = ConfigReader.String(root, "web_config_file"),
            Capture = CaptureOptions.FromConfiguration(root.GetSection("capture")),
            Connections = connections,
            Quality = QualityConfiguration.FromConfiguration(root.GetSection("quality"), connections),
            Root = root,
        };
    }
}
