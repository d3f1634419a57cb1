using System.Globalization;

namespace FlowExporter.Configuration;

/// <summary>Typed, validating reads of configuration keys; every failure names the full key.</summary>
public static class ConfigReader
{
    public static string? String(IConfiguration section, string key) => section[key] is { Length: > 0 } value ? value : null;

    public static bool Bool(IConfiguration section, string key, bool fallback)
    {
        var text = section[key];
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
        var text = section[key];
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
        var text = section[key];
        return string.IsNullOrWhiteSpace(text) ? fallback : Durations.Parse(Path(section, key), text, minimum);
    }

    public static T Enum<T>(IConfiguration section, string key, T fallback, params (string Name, T Value)[] choices)
    {
        var text = section[key];
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

        throw new ConfigException(Path(section, key), $"'{text}' is not one of {string.Join(", ", choices.Select(c => c.Name))}");
    }

    /// <summary>A list given either as a YAML sequence or as one comma-separated value (handy in environment variables).</summary>
    public static IReadOnlyList<string> List(IConfiguration section, string key)
    {
        var child = section.GetSection(key);
        if (child.Value is { Length: > 0 } single)
        {
            return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        return child.GetChildren()
            .OrderBy(c => int.TryParse(c.Key, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
            .Select(c => c.Value)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .Select(v => v!.Trim())
            .ToArray();
    }

    /// <summary>Fails on keys of a section that nobody reads: a typo should stop the start, not be ignored.</summary>
    public static void RejectUnknown(IConfiguration section, params string[] known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ConfigException(Path(section, child.Key), $"unknown key (known here: {string.Join(", ", known)})");
            }
        }
    }

    public static string Path(IConfiguration section, string key) =>
        section is IConfigurationSection { Path.Length: > 0 } s ? $"{s.Path.Replace(':', '.')}.{key}" : key;
}
