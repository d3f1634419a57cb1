using System.Text.Json;

namespace FlowExporter.Tests.Deploy;

/// <summary>prometheus/grafana/flowexporter.json is provisioning-ready: identity, variables, queries and units.</summary>
public sealed class DashboardTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-dashboard-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static JsonElement Dashboard() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf("prometheus", "grafana", "flowexporter.json"))).RootElement;

    private static IEnumerable<JsonElement> Panels() =>
        Dashboard().GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row");

    [Fact]
    public void Has_identity_and_the_node_namespace_pod_variables()
    {
        var dashboard = Dashboard();
        Assert.Equal("flowexporter-overview", dashboard.GetProperty("uid").GetString());
        Assert.Equal("FlowExporter", dashboard.GetProperty("title").GetString());
        Assert.True(dashboard.GetProperty("schemaVersion").GetInt32() >= 36);
        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.TryGetProperty("definition", out var d) ? d.GetString() : null);
        Assert.Equal("label_values(flowexporter_build_info, node)", variables["node"]);
        Assert.Contains("pod_namespace", variables["namespace"], StringComparison.Ordinal);
        Assert.Contains("pod_name", variables["pod"], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_panel_has_a_unit_and_every_rate_uses_the_rate_interval()
    {
        var ids = new HashSet<int>();
        foreach (var panel in Panels())
        {
            var title = panel.GetProperty("title").GetString();
            Assert.True(ids.Add(panel.GetProperty("id").GetInt32()), $"duplicate panel id: {title}");
            Assert.False(string.IsNullOrEmpty(panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()), title);
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            foreach (var expr in targets.Select(t => t.GetProperty("expr").GetString()!))
            {
                foreach (System.Text.RegularExpressions.Match range in System.Text.RegularExpressions.Regex.Matches(expr, @"\[([^\]]+)\]"))
                {
                    Assert.True(range.Groups[1].Value == "$__rate_interval", $"{title}: {expr}");
                }
            }
        }

        var units = Panels().Select(p => p.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "Bps", "pps", "percentunit" }, units);
    }

    [Fact]
    public void Covers_connections_ovs_switches_capture_health_quality_and_probes()
    {
        var queries = string.Join("\n", Panels().SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()));
        Assert.Contains("topk(10, sum by (initiator_ip, target_ip, target_port, protocol, direction) (rate(network_connection_bytes_total", queries, StringComparison.Ordinal);
        Assert.Contains("rate(ovs_interface_rx_bytes_total", queries, StringComparison.Ordinal);
        Assert.Contains("/ (network_switch_port_speed_bits_per_second > 0)", queries, StringComparison.Ordinal);
        Assert.Contains("network_switch_port_receive_errors_total", queries, StringComparison.Ordinal);
        Assert.Contains("network_capture_dropped_packets_total", queries, StringComparison.Ordinal);
        Assert.Contains("flowexporter_source_up", queries, StringComparison.Ordinal);
        Assert.Contains("rate(network_connection_handshake_seconds_bucket", queries, StringComparison.Ordinal);
        Assert.Contains("rate(network_connection_attempts_total", queries, StringComparison.Ordinal);
        Assert.Contains("rate(network_connection_retransmitted_packets_total", queries, StringComparison.Ordinal);
        Assert.Contains("rate(network_probe_duration_seconds_bucket", queries, StringComparison.Ordinal);
        Assert.Contains("rate(network_probe_errors_total", queries, StringComparison.Ordinal);
        Assert.Contains(Panels(), p => p.GetProperty("type").GetString() == "table");
    }

    [Fact]
    public void Every_query_is_valid_PromQL_for_promtool()
    {
        // promtool has no parse-only command here: each query, with Grafana's variables substituted, becomes a
        // recording rule that `promtool check rules` parses.
        var rules = new System.Text.StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var count = 0;
        foreach (var expr in Panels().SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!))
        {
            var query = expr.Replace("$__rate_interval", "5m", StringComparison.Ordinal)
                .Replace("$node", ".*", StringComparison.Ordinal)
                .Replace("$namespace", ".*", StringComparison.Ordinal)
                .Replace("$pod", ".*", StringComparison.Ordinal);
            Assert.DoesNotContain("$", query, StringComparison.Ordinal);
            rules.Append("      - record: dashboard:query_").Append(++count).Append('\n')
                .Append("        expr: ").Append(JsonSerializer.Serialize(query)).Append('\n');
        }

        var file = Path.Combine(_directory, "dashboard-rules.yml");
        File.WriteAllText(file, rules.ToString());
        var result = ExternalTool.Run("promtool", ["check", "rules", file], _directory);
        Assert.True(result.ExitCode == 0, result.Describe("promtool check rules (dashboard queries)"));
        Assert.Contains($"SUCCESS: {count} rules found", result.Output + result.Error, StringComparison.Ordinal);
    }
}
