using System.Reflection;
using FlowExporter.TestSupport;
using Xunit.Abstractions;

namespace FlowExporter.Tests;

/// <summary>The host's namespaces form no cycle (checked on its IL).</summary>
public sealed class ArchitectureTests(ITestOutputHelper output)
{
    private const string Root = "FlowExporter";

    private static readonly Assembly Host = typeof(FlowExporter.Capture.ConnectionAccounting).Assembly;

    [Fact]
    public void The_namespace_graph_has_no_cycle()
    {
        var graph = NamespaceGraph.Of(Host, Root);
        output.WriteLine(graph.ToString());
        var cycles = graph.Cycles([]);
        Assert.True(cycles.Count == 0, $"namespace cycles: {string.Join("; ", cycles)}{Environment.NewLine}{graph}");
    }
}
