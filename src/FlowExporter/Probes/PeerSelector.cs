using FlowExporter.Configuration;

namespace FlowExporter.Probes;

/// <summary>
/// Which pods are the other exporters (<c>probes.kubernetes</c>): a namespace (empty: any) and an equality-based
/// label selector as kubectl writes it (<c>a=b,c!=d,e,!f</c>); set-based terms (<c>in</c>, <c>notin</c>) are refused.
/// </summary>
public sealed record PeerSelector(string? Namespace, IReadOnlyList<LabelRequirement> Requirements)
{
    public const string DefaultSelector = "app.kubernetes.io/name=flowexporter";

    public bool Matches(string? podNamespace, IDictionary<string, string>? labels)
    {
        if (Namespace is not null && !string.Equals(Namespace, podNamespace, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    public static PeerSelector FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(section, "namespace", "label_selector");
        var selector = ConfigReader.String(section, "label_selector") ?? DefaultSelector;
        return new PeerSelector(ConfigReader.String(section, "namespace"), Parse(ConfigReader.Path(section, "label_selector"), selector));
    }

    public static IReadOnlyList<LabelRequirement> Parse(string key, string selector)
    {
        var requirements = new List<LabelRequirement>();
        foreach (var raw in selector.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
            {
                throw new ConfigException(key, $"'{selector}' has an empty term");
            }

            LabelRequirement requirement;
            var notEquals = raw.IndexOf("!=", StringComparison.Ordinal);
            var equals = raw.IndexOf('=', StringComparison.Ordinal);
            if (notEquals > 0)
            {
                requirement = new LabelRequirement(raw[..notEquals].Trim(), LabelOperator.NotEquals, raw[(notEquals + 2)..].Trim());
            }
            else if (equals > 0)
            {
                var valueStart = raw.Length > equals + 1 && raw[equals + 1] == '=' ? equals + 2 : equals + 1;
                requirement = new LabelRequirement(raw[..equals].Trim(), LabelOperator.Equals, raw[valueStart..].Trim());
            }
            else if (raw.StartsWith('!'))
            {
                requirement = new LabelRequirement(raw[1..].Trim(), LabelOperator.DoesNotExist, null);
            }
            else
            {
                requirement = new LabelRequirement(raw, LabelOperator.Exists, null);
            }

            if (!IsLabelKey(requirement.Key) || (requirement.Value is { } value && value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
            {
                throw new ConfigException(key, $"'{raw}' is not a label requirement (key=value, key!=value, key or !key)");
            }

            requirements.Add(requirement);
        }

        return requirements;
    }

    private static bool IsLabelKey(string key) =>
        key.Length is > 0 and <= 316 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/');
}
