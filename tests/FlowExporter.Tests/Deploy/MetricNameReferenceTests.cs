using System.Text.RegularExpressions;

namespace FlowExporter.Tests.Deploy;

/// <summary>Every series name the rules and the dashboard use is one the README or the source docs document (not deploy.md, which describes the rules themselves).</summary>
public sealed partial class MetricNameReferenceTests
{
    [GeneratedRegex(@"(?<![\w:{])(?:network|ovs|flowexporter)_[a-z0-9_]*[a-z0-9](?![\w:])")]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\{([a-z0-9_,]+)\}")]
    private static partial Regex Alternatives();

    [GeneratedRegex(@"""((?:network|ovs|flowexporter)_[a-z0-9_]*[a-z0-9])""")]
    private static partial Regex NameLiteral();

    /// <summary>String literals in src that look like a series name but name no family.</summary>
    private static readonly HashSet<string> NotFamilies = new(StringComparer.Ordinal)
    {
        "network_error", // an SNMP poll failure reason (a label value)
        "flowexporter_ingress", // the eBPF program's classifiers (bpf/flow.bpf.c section names)
        "flowexporter_egress",
        "ovs_pod_ports", // a capture.discover value
    };

    /// <summary>
    /// Families are declared where their source lives (a <c>MetricFamily</c> or a prometheus-net metric with the name
    /// as a literal); the README's metric reference lists every one of them.
    /// </summary>
    [Fact]
    public void Every_family_declared_in_src_is_in_the_README_metric_reference()
    {
        var readme = File.ReadAllText(RepositoryFiles.PathOf("README.md"));
        var start = readme.IndexOf("\n## Metrics\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Metrics' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var documented = DocumentedNames(end < 0 ? readme[start..] : readme[start..end]);

        var separator = Path.DirectorySeparatorChar;
        var declared = Directory.GetFiles(RepositoryFiles.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !file.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .SelectMany(file => NameLiteral().Matches(File.ReadAllText(file)).Select(m => (Name: m.Groups[1].Value, File: Path.GetFileName(file))))
            .Where(d => !NotFamilies.Contains(d.Name))
            .ToList();

        Assert.Contains(declared, d => d.Name == "network_connection_bytes_total");
        Assert.Contains(declared, d => d.Name == "flowexporter_source_up");
        var missing = declared.Where(d => !documented.Contains(d.Name)).Select(d => $"{d.Name} ({d.File})").Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "declared in src but not in README.md's metric reference: " + string.Join(", ", missing));
    }

    [Fact]
    public void Documentation_reading_expands_the_short_forms()
    {
        var names = DocumentedNames("`ovs_interface_{rx,tx}_{bytes,dropped}_total` and `network_switch_port_{receive,transmit}_bytes_total`, `_packets_total{cast}`; `network_switch_port_receive_errors_total` / `transmit_errors_total`; `flowexporter_source_up{source}`");
        Assert.Superset(
            new HashSet<string>
            {
                "ovs_interface_rx_bytes_total", "ovs_interface_tx_dropped_total", "network_switch_port_transmit_bytes_total",
                "network_switch_port_transmit_packets_total", "network_switch_port_transmit_errors_total", "flowexporter_source_up",
            },
            names);
        Assert.DoesNotContain("network_switch_port_transmit_discards_total", names);
    }

    [Fact]
    public void Every_name_in_the_rules_and_the_dashboard_is_documented()
    {
        var documentation = string.Join("\n", new[] { RepositoryFiles.PathOf("README.md") }
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("docs"), "*.md").Where(file => Path.GetFileName(file) != "deploy.md"))
            .Select(File.ReadAllText));
        var documented = DocumentedNames(documentation);

        var artifacts = Directory.GetFiles(RepositoryFiles.PathOf("prometheus", "rules"), "*.yml")
            .Append(RepositoryFiles.PathOf("prometheus", "grafana", "flowexporter.json"))
            .ToList();
        var used = artifacts
            .SelectMany(file => SeriesName().Matches(File.ReadAllText(file)).Select(m => (Name: m.Value, File: Path.GetFileName(file))))
            .ToList();

        Assert.Contains(used, u => u.Name == "network_connection_bytes_total");
        Assert.Contains(used, u => u.Name == "ovs_interface_rx_bytes_total");
        Assert.Contains(used, u => u.Name == "network_switch_port_speed_bits_per_second");
        var undocumented = used.Where(u => !documented.Contains(u.Name)).Select(u => $"{u.Name} ({u.File})").Distinct().ToList();
        Assert.True(undocumented.Count == 0, "not in README.md or docs/*.md: " + string.Join(", ", undocumented));
    }

    /// <summary>
    /// Names as the docs write them: whole names, brace alternatives (<c>ovs_interface_{rx,tx}_bytes_total</c>), label
    /// lists after a name (<c>flowexporter_source_up{source}</c>), and short forms that replace as many trailing words of
    /// the name before them (<c>`..._receive_errors_total` / `transmit_errors_total`</c>, <c>`_packets_total{cast}`</c>).
    /// </summary>
    internal static HashSet<string> DocumentedNames(string documentation)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in SeriesName().Matches(documentation))
        {
            names.Add(match.Value);
        }

        string? previous = null;
        foreach (Match span in CodeSpan().Matches(documentation))
        {
            var text = Regex.Replace(span.Groups[1].Value, @"\{[^}]*\}$", string.Empty);
            if (!Regex.IsMatch(text, @"^_?[a-z0-9_{},]+$"))
            {
                continue;
            }

            if (Regex.IsMatch(text, "^(network|ovs|flowexporter)_"))
            {
                previous = text;
            }
            else if (previous is not null && text.Contains('_', StringComparison.Ordinal))
            {
                var tail = text.TrimStart('_').Split('_');
                var words = previous.Split('_');
                if (words.Length <= tail.Length)
                {
                    continue;
                }

                text = string.Join('_', words[..^tail.Length].Concat(tail));
            }
            else
            {
                continue;
            }

            foreach (var expanded in Expand(text))
            {
                names.Add(expanded);
            }
        }

        return names;
    }

    private static IEnumerable<string> Expand(string text)
    {
        var match = Alternatives().Match(text);
        if (!match.Success)
        {
            return [text];
        }

        return match.Groups[1].Value.Split(',')
            .SelectMany(choice => Expand(string.Concat(text.AsSpan(0, match.Index), choice, text.AsSpan(match.Index + match.Length))));
    }
}
