using System.Globalization;
using System.Text.RegularExpressions;

namespace FlowExporter.Configuration;

/// <summary>
/// The one reader of configuration: typed, validating reads of keys, and the check that a section holds only keys
/// somebody reads. Every failure names the full key (<c>snmp.targets.0.address</c>). The YAML file, environment
/// variables and flags all arrive here flattened into one <see cref="IConfiguration"/>, so all three are checked alike.
/// </summary>
public static class ConfigReader
{
    public static string? String(IConfiguration section, string key) => Scalar(section, key) is { Length: > 0 } value ? value : null;

    public static string Required(IConfiguration section, string key, string what = "is required") =>
        String(section, key)?.Trim() is { Length: > 0 } value ? value : throw new ConfigException(Path(section, key), what);

    public static bool Bool(IConfiguration section, string key, bool fallback)
    {
        var text = Scalar(section, key);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return text.Trim().ToLowerInvariant() switch
        {
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw new ConfigException(Path(section, key), $"'{text}' is not true or false"),
        };
    }

    public static int Int(IConfiguration section, string key, int fallback, int minimum, int maximum)
    {
        var text = Scalar(section, key);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw new ConfigException(Path(section, key), $"'{text}' is not a whole number");
        }

        if (value < minimum || value > maximum)
        {
            throw new ConfigException(Path(section, key), $"{value} is outside {minimum}..{maximum}");
        }

        return value;
    }

    public static TimeSpan Duration(IConfiguration section, string key, TimeSpan fallback, TimeSpan minimum)
    {
        var text = Scalar(section, key);
        return string.IsNullOrWhiteSpace(text) ? fallback : Durations.Parse(Path(section, key), text, minimum);
    }

    public static T Enum<T>(IConfiguration section, string key, T fallback, params (string Name, T Value)[] choices)
    {
        var text = Scalar(section, key);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        foreach (var (name, value) in choices)
        {
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw new ConfigException(Path(section, key), $"'{text}' is not one of {string.Join(", ", choices.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase))}");
    }

    /// <summary>A regular expression (100 ms match timeout); null when unset.</summary>
    public static Regex? Pattern(IConfiguration section, string key)
    {
        var text = Scalar(section, key);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            return new Regex(text, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException(Path(section, key), $"not a valid regular expression: {ex.Message}");
        }
    }

    /// <summary>A list given either as a YAML sequence or as one comma-separated value (handy in environment variables).</summary>
    public static IReadOnlyList<string> List(IConfiguration section, string key)
    {
        var child = section.GetSection(key);
        if (child.Value is { Length: > 0 } single)
        {
            if (child.GetChildren().Any())
            {
                throw new ConfigException(Path(section, key), "is given both as one value and as a list");
            }

            return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var items = new List<string>();
        foreach (var item in Items(section, key))
        {
            if (item.GetChildren().Any())
            {
                throw new ConfigException(Path(section, $"{key}:{item.Key}"), "must be a single value, not a list or mapping");
            }

            if (!string.IsNullOrWhiteSpace(item.Value))
            {
                items.Add(item.Value.Trim());
            }
        }

        return items;
    }

    /// <summary>
    /// The entries of a list of mappings (<c>snmp.targets</c>), in order. Each entry must be a mapping: it is checked
    /// against <paramref name="known"/> like any other section.
    /// </summary>
    public static IReadOnlyList<IConfigurationSection> Entries(IConfiguration section, string key, params string[] known)
    {
        var entries = Items(section, key);
        foreach (var entry in entries)
        {
            RejectUnknown(entry, known);
        }

        return entries;
    }

    /// <summary>
    /// Fails on keys of a section that nobody reads: a typo should stop the start, not be ignored. The message names
    /// the full key and, when one is close, the known key that was probably meant (<c>ovs.mdoe: unknown key (did you
    /// mean mode?)</c>). A section given as one value where a mapping belongs fails too.
    /// </summary>
    public static void RejectUnknown(IConfiguration section, params string[] known)
    {
        if (section is IConfigurationSection { Value.Length: > 0 } scalar && scalar.Path.Length > 0)
        {
            throw new ConfigException(scalar.Path.Replace(':', '.'), $"must be a mapping of keys ({string.Join(", ", known)}), not the value '{scalar.Value}'");
        }

        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var nearest = KeySuggestion.Nearest(child.Key, known);
                var hint = nearest is null ? $"known here: {string.Join(", ", known)}" : $"did you mean {nearest}?";
                throw new ConfigException(Path(section, child.Key), $"unknown key ({hint})");
            }
        }
    }

    public static string Path(IConfiguration section, string key) =>
        (section is IConfigurationSection { Path.Length: > 0 } s ? $"{s.Path}:{key}" : key).Replace(':', '.');

    /// <summary>The text of a key that must be one value; a mapping or list there is a wrong type, not a default.</summary>
    private static string? Scalar(IConfiguration section, string key)
    {
        var child = section.GetSection(key);
        if (child.GetChildren().Any())
        {
            throw new ConfigException(Path(section, key), "must be a single value, not a list or mapping");
        }

        return child.Value;
    }

    private static List<IConfigurationSection> Items(IConfiguration section, string key)
    {
        var list = section.GetSection(key);
        if (!string.IsNullOrEmpty(list.Value))
        {
            throw new ConfigException(Path(section, key), $"must be a list, not the value '{list.Value}'");
        }

        var items = new List<(int Index, IConfigurationSection Item)>();
        foreach (var item in list.GetChildren())
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new ConfigException(Path(list, item.Key), "is not a list index: this key must be a list (- item)");
            }

            items.Add((index, item));
        }

        return [.. items.OrderBy(i => i.Index).Select(i => i.Item)];
    }
}
