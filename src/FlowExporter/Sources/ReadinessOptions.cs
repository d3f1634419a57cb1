using FlowExporter.Configuration;

namespace FlowExporter.Sources;

/// <summary>The <c>readiness</c> section: which sources gate <c>/readyz</c> (absent or empty: every enabled source).</summary>
public sealed record ReadinessOptions
{
    public const string Section = "readiness";

    /// <summary>The gating sources, or null for every enabled source.</summary>
    public IReadOnlyList<string>? Sources { get; init; }

    /// <summary>Reads the section; <paramref name="sourceNames"/> are the sources the exporter has (their modules' names).</summary>
    public static ReadinessOptions FromConfiguration(IConfiguration root, IReadOnlyList<string> sourceNames)
    {
        var section = root.GetSection(Section);
        ConfigReader.RejectUnknown(section, "sources");
        var named = ConfigReader.List(section, "sources");
        foreach (var name in named)
        {
            if (!sourceNames.Contains(name, StringComparer.Ordinal))
            {
                throw new ConfigException($"{Section}.sources", $"unknown source '{name}' (known: {string.Join(", ", sourceNames)})");
            }
        }

        return new ReadinessOptions { Sources = named.Count == 0 ? null : named };
    }
}
