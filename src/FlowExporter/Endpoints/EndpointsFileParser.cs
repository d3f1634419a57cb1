using System.Globalization;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowExporter.Endpoints;

/// <summary>
/// Parses the static endpoints file: a YAML list (or a mapping with an <c>endpoints</c> list) of entries, each with
/// exactly one of <c>ip</c> or <c>cidr</c>, and optional <c>name</c>, <c>namespace</c>, <c>node</c>, <c>workload</c>,
/// <c>workload_kind</c>. Any problem is reported as <c>endpoints_file: entry N: FIELD: problem</c> (N from 0).
/// </summary>
public static class EndpointsFileParser
{
    public const string Key = "endpoints_file";

    public const int MaxEntries = 100_000;

    private static readonly HashSet<string> Fields = new(StringComparer.Ordinal)
    {
        "ip", "cidr", "name", "namespace", "node", "workload", "workload_kind",
    };

    public static EndpointIndex Parse(string text)
    {
        var entries = Entries(text);
        if (entries.Count > MaxEntries)
        {
            throw new EndpointsFileException($"{entries.Count} entries, more than the {MaxEntries} allowed");
        }

        var builder = new EndpointIndexBuilder();
        var seenAddresses = new Dictionary<IpAddress, int>();
        var seenPrefixes = new Dictionary<IpPrefix, int>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is not YamlMappingNode mapping)
            {
                throw Problem(i, "entry", "is not a mapping (expected keys such as ip, name, namespace)");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (keyNode, valueNode) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                if (!Fields.Contains(key))
                {
                    throw Problem(i, key, "unknown field (known: ip, cidr, name, namespace, node, workload, workload_kind)");
                }

                if (valueNode is not YamlScalarNode { Value: { } value })
                {
                    throw Problem(i, key, "must be a single value");
                }

                values[key] = value.Trim();
            }

            var endpoint = new NetworkEndpoint(
                values.GetValueOrDefault("namespace", string.Empty),
                values.GetValueOrDefault("name", string.Empty),
                values.GetValueOrDefault("node", string.Empty),
                values.GetValueOrDefault("workload_kind", string.Empty),
                values.GetValueOrDefault("workload", string.Empty),
                HostNetwork: false,
                EndpointSource.StaticFile);

            var hasIp = values.TryGetValue("ip", out var ipText);
            var hasCidr = values.TryGetValue("cidr", out var cidrText);
            if (hasIp == hasCidr)
            {
                throw Problem(i, hasIp ? "cidr" : "ip", hasIp ? "give either ip or cidr, not both" : "missing: every entry needs ip or cidr");
            }

            if (hasIp)
            {
                if (!IpPrefix.TryParseAddress(ipText, out var address))
                {
                    throw Problem(i, "ip", $"'{ipText}' is not an IPv4 or IPv6 address");
                }

                if (!seenAddresses.TryAdd(address, i))
                {
                    throw Problem(i, "ip", $"{address} is already given by entry {seenAddresses[address]}");
                }

                builder.AddAddress(address, endpoint);
            }
            else
            {
                if (cidrText!.IndexOf('/', StringComparison.Ordinal) < 0 || !IpPrefix.TryParse(cidrText, out var prefix))
                {
                    throw Problem(i, "cidr", $"'{cidrText}' is not a network such as 10.0.0.0/24 or fd00::/64");
                }

                if (!seenPrefixes.TryAdd(prefix, i))
                {
                    throw Problem(i, "cidr", $"{prefix} is already given by entry {seenPrefixes[prefix]}");
                }

                builder.AddCidr(prefix, endpoint);
            }
        }

        return builder.Build();
    }

    private static List<YamlNode> Entries(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new EndpointsFileException(string.Create(
                CultureInfo.InvariantCulture, $"not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}"));
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return [];
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode("endpoints"), out var inner))
        {
            root = inner;
        }

        return root is YamlSequenceNode sequence
            ? [.. sequence.Children]
            : throw new EndpointsFileException("the file must be a list of entries (or a mapping with an 'endpoints' list)");
    }

    private static EndpointsFileException Problem(int index, string field, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"entry {index}: {field}: {problem}"));
}
