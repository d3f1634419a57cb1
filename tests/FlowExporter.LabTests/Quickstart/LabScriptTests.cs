using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>The README's first quick-start command, in its bounded mode, as a new user would run it.</summary>
[Trait("Category", "Lab")]
[Collection(OneCommandLabCollection.Name)]
public sealed class LabScriptTests
{
    [Fact]
    public async Task The_lab_reaches_ready_and_its_printed_query_returns_non_zero_rates_then_cleans_up()
    {
        LabPrerequisites.RequireOvsLab("iperf3", "curl", "prometheus", "snmpd");
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlowExporter.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (FlowExporter.sln) was not found");
        }

        var result = await ProcessRunner.RunAsync(
            Path.Combine(root, "scripts", "lab"),
            ["--check"],
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string?>
            {
                ["LAB_EXPORTER_EXECUTABLE"] = Path.Combine(AppContext.BaseDirectory, "flowexporter"),
                ["LAB_STANDIN_EXECUTABLE"] = Path.Combine(AppContext.BaseDirectory, "kube-api-standin"),
            });
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("ready.", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("lab: check: the rate() query returns non-zero rates", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"target_port\":\"5201\"", result.StandardOutput, StringComparison.Ordinal);

        // The Kubernetes source, fed by the API stand-in, names both pods and their workloads on connection series.
        var metadata = Line(result.StandardOutput, "lab: check: connection series carry both pods and their workloads: ");
        Assert.Contains("\"initiator_namespace\":\"loadgen\",\"initiator_pod\":\"client-0\",\"initiator_workload\":\"client\"", metadata, StringComparison.Ordinal);
        Assert.Contains("\"target_namespace\":\"shop\",\"target_pod\":\"web-0\",\"target_workload\":\"web\"", metadata, StringComparison.Ordinal);
        Assert.Contains("\"source\":\"kubernetes\"},\"value\":[", Line(result.StandardOutput, "lab: check: the Kubernetes source is up: "), StringComparison.Ordinal);

        // Every pod's OVS port carries its pod; the switch port (reported by snmpd in the switch namespace) its node.
        var ovs = Line(result.StandardOutput, "lab: check: OVS ports carry their pods: ");
        foreach (var (ns, pod) in new[] { ("loadgen", "client-0"), ("shop", "db-0"), ("shop", "web-0") })
        {
            Assert.Contains($"\"pod_name\":\"{pod}\",\"pod_namespace\":\"{ns}\"", ovs, StringComparison.Ordinal);
        }

        var uplink = Line(result.StandardOutput, "lab: check: the switch port of the node's uplink: ");
        Assert.Contains("\"if_name\":\"swp1\"", uplink, StringComparison.Ordinal);
        Assert.Contains("\"node\":\"lab-node\",\"node_interface\":\"uplink0\"", uplink, StringComparison.Ordinal);
        Assert.Contains("lab: done", result.StandardOutput, StringComparison.Ordinal);
        var suffix = System.Text.RegularExpressions.Regex.Match(result.StandardOutput, "node namespace (fe-node-[0-9a-f]+)").Groups[1].Value;
        Assert.NotEmpty(suffix);
        var after = (await ProcessRunner.CheckAsync("ip", ["netns", "list"])).StandardOutput;
        Assert.DoesNotContain(suffix["fe-node-".Length..], after, StringComparison.Ordinal);
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no line '{prefix}' in:\n{output}");
}
