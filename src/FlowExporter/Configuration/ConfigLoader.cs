using System.Collections;

namespace FlowExporter.Configuration;

/// <summary>
/// Builds the configuration from its three layers: the YAML file, then environment variables
/// (<c>FLOWEXPORTER_CAPTURE__BPF</c>; <c>NODE_NAME</c> for the node), then command-line flags. A layer that sets a
/// list replaces the list of the layers below it instead of merging element by element.
/// </summary>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "FLOWEXPORTER_";

    public static IConfiguration Load(string? configFile, IDictionary environment, IReadOnlyDictionary<string, string?> flags)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (configFile is not null)
        {
            string yaml;
            try
            {
                yaml = File.ReadAllText(configFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"config: {configFile}: cannot read: {ex.Message}");
            }

            Overlay(values, YamlFlattener.Flatten(yaml, configFile));
        }

        var fromEnvironment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (environment["NODE_NAME"] is string nodeName && nodeName.Length > 0)
        {
            fromEnvironment["node"] = nodeName;
        }

        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                // Keys are lower case (snake_case) everywhere; an error about FLOWEXPORTER_OVS__MDOE then reads "ovs.mdoe".
                var key = name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal).ToLowerInvariant();
                fromEnvironment[key] = entry.Value as string;
            }
        }

        Overlay(values, fromEnvironment);
        Overlay(values, flags);
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static void Overlay(Dictionary<string, string?> values, IReadOnlyDictionary<string, string?> layer)
    {
        foreach (var key in layer.Keys)
        {
            // Setting "a:b" (a list as one value) or "a:b:0" replaces every "a:b:*" below.
            var listRoot = IsIndexed(key, out var parent) ? parent : key;
            foreach (var existing in values.Keys.Where(k => k.StartsWith(listRoot + ":", StringComparison.OrdinalIgnoreCase) && !layer.ContainsKey(k)).ToList())
            {
                values.Remove(existing);
            }
        }

        foreach (var (key, value) in layer)
        {
            values[key] = value;
        }
    }

    private static bool IsIndexed(string key, out string parent)
    {
        var separator = key.LastIndexOf(':');
        parent = separator > 0 ? key[..separator] : key;
        return separator > 0 && key[(separator + 1)..].All(char.IsAsciiDigit);
    }
}
