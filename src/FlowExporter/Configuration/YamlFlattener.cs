using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowExporter.Configuration;

/// <summary>
/// Turns a YAML document into configuration keys (<c>snmp:targets:0:address</c>), the shape environment variables
/// and flags override. Scalars keep their text; an empty mapping or sequence leaves no key.
/// </summary>
public static class YamlFlattener
{
    public static Dictionary<string, string?> Flatten(string yaml, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new ConfigException($"{sourceName}: not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}");
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count == 0)
        {
            return values;
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" })
        {
            return values;
        }

        if (root is not YamlMappingNode)
        {
            throw new ConfigException($"{sourceName}: the top level must be a mapping of keys (listen, node, capture, ...)");
        }

        Visit(root, string.Empty, values);
        return values;
    }

    private static void Visit(YamlNode node, string path, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new ConfigException($"{path}: keys must be plain names");
                    Visit(value, path.Length == 0 ? name : $"{path}:{name}", values);
                }

                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Visit(sequence.Children[i], $"{path}:{i}", values);
                }

                break;
            case YamlScalarNode scalar:
                var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "Null" or "NULL";
                values[path] = isNull ? null : scalar.Value;
                break;
            default:
                throw new ConfigException($"{path}: unsupported YAML node");
        }
    }
}
