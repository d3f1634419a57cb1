using FlowExporter.Configuration;

namespace FlowExporter.Sources;

/// <summary>The <c>readiness</c> section: which sources gate <c>/readyz</c> (absent or empty: every enabled source).</summary>
public sealed record ReadinessOptions
{
    public const string Section = "readiness";

    /// <summary>The names a source can have in <c>flowexporter_source_up{source}</c>, and so in <c>readiness.sources</c>.</summary>
    public static readonly string[] SourceNames = ["capture", "ovs", "snmp", "kubernetes", "endpoints_file", "probes"];

    /// <summary>The gating sources, or null for every enabled source.</summary>
    public IReadOnlyList<string>? Sources { get; init; }

    public static ReadinessOptions FromConfiguration(IConfiguration root)
    {
        var section = root.GetSection(Section);
        ConfigReader.RejectUnknown(section, "sources");
        var named = ConfigReader.List(section, "sources");
        foreach (var name in named)
        {
            if (!SourceNames.Contains(name, StringComparer.Ordinal))
            {
                throw new ConfigException($"{Section}.sources", $"unknown source '{name}' (known: {string.Join(", ", SourceNames)})");
            }
        }

        return new ReadinessOptions { Sources = named.Count == 0 ? null : named };
    }
}
