using System.Globalization;
using System.Text.RegularExpressions;

namespace FlowExporter.Configuration;

/// <summary>Parses durations as Prometheus writes them (<c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h30m</c>) or plain seconds.</summary>
public static partial class Durations
{
    [GeneratedRegex("^(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return false;
            }

            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var match = Pattern().Match(text);
        if (!match.Success || match.Length == 0)
        {
            return false;
        }

        long Part(int group) => match.Groups[group].Success ? long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            duration = TimeSpan.FromHours(Part(1)) + TimeSpan.FromMinutes(Part(2)) + TimeSpan.FromSeconds(Part(3)) + TimeSpan.FromMilliseconds(Part(4));
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Parses a duration or throws a <see cref="ConfigException"/> naming the key.</summary>
    public static TimeSpan Parse(string key, string? text, TimeSpan? minimum = null)
    {
        if (!TryParse(text, out var duration))
        {
            throw new ConfigException(key, $"'{text}' is not a duration (examples: 500ms, 30s, 5m, 1h)");
        }

        if (minimum is { } min && duration < min)
        {
            throw new ConfigException(key, $"must be at least {min.TotalSeconds:0.###}s");
        }

        return duration;
    }
}
