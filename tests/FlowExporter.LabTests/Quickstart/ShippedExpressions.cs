using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>One PromQL expression shipped in prometheus/: where it comes from and the query to run for it.</summary>
public sealed record ShippedExpression(string Origin, string Query, bool IsAlert);

/// <summary>
/// Every PromQL expression in the Grafana dashboard (panel targets and variable queries) and in the rule files, with
/// Grafana's variables replaced as Grafana would for one node, namespace and pod of the lab.
/// </summary>
public static class ShippedExpressions
{
    /// <summary>Grafana's $__rate_interval for a 5s scrape interval (4 x scrape, at least 1m with the default min interval).</summary>
    public const string RateInterval = "1m";

    public static IReadOnlyList<ShippedExpression> All(string root, IReadOnlyDictionary<string, string> variables) =>
        [.. Dashboard(Path.Combine(root, "prometheus", "grafana", "flowexporter.json"), variables), .. Rules(Path.Combine(root, "prometheus", "rules"))];

    public static IEnumerable<ShippedExpression> Dashboard(string path, IReadOnlyDictionary<string, string> variables)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var dashboard = document.RootElement;
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() != "query")
            {
                continue;
            }

            // label_values(SELECTOR, LABEL) is Grafana's, not PromQL: Grafana asks Prometheus for the series of SELECTOR.
            var definition = variable.GetProperty("definition").GetString()!;
            var match = System.Text.RegularExpressions.Regex.Match(definition, @"^label_values\((?:(.+),\s*)?(\w+)\)$");
            if (!match.Success)
            {
                throw new InvalidDataException($"variable {variable.GetProperty("name")}: unexpected query {definition}");
            }

            var selector = Substitute(match.Groups[1].Value, variables);
            yield return new ShippedExpression($"dashboard variable {variable.GetProperty("name").GetString()}", $"group by ({match.Groups[2].Value}) ({selector}{{{match.Groups[2].Value}!=\"\"}})".Replace("}{", ",", StringComparison.Ordinal), false);
        }

        foreach (var panel in Panels(dashboard.GetProperty("panels")))
        {
            var title = panel.GetProperty("title").GetString();
            var index = 0;
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                index++;
                yield return new ShippedExpression($"dashboard panel '{title}' query {index}", Substitute(target.GetProperty("expr").GetString()!, variables), false);
            }
        }
    }

    public static IEnumerable<ShippedExpression> Rules(string directory)
    {
        foreach (var file in Directory.GetFiles(directory, "*.yml").Order(StringComparer.Ordinal))
        {
            var yaml = new YamlStream();
            using (var reader = new StringReader(File.ReadAllText(file)))
            {
                yaml.Load(reader);
            }

            var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
            foreach (var group in groups.Cast<YamlMappingNode>())
            {
                foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
                {
                    var isAlert = rule.Children.ContainsKey("alert");
                    var name = ((YamlScalarNode)rule[isAlert ? "alert" : "record"]).Value;
                    var labels = rule.Children.TryGetValue("labels", out var l) && !isAlert
                        ? " {" + string.Join(", ", ((YamlMappingNode)l).Children.Select(c => $"{c.Key}={c.Value}")) + "}"
                        : string.Empty;
                    yield return new ShippedExpression(
                        $"{Path.GetFileName(file)} {(isAlert ? "alert" : "record")} {name}{labels}",
                        ((YamlScalarNode)rule["expr"]).Value!.Trim(),
                        isAlert);
                }
            }
        }
    }

    private static IEnumerable<JsonElement> Panels(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in Panels(nested))
                {
                    yield return inner;
                }
            }

            if (panel.TryGetProperty("targets", out _))
            {
                yield return panel;
            }
        }
    }

    private static string Substitute(string expr, IReadOnlyDictionary<string, string> variables)
    {
        var result = expr.Replace("$__rate_interval", RateInterval, StringComparison.Ordinal);
        foreach (var (name, value) in variables.OrderByDescending(v => v.Key.Length))
        {
            result = result.Replace("$" + name, value, StringComparison.Ordinal);
        }

        return result;
    }
}
