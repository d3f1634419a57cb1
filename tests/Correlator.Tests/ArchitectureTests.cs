using System.Reflection;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.TestSupport;
using NetArchTest.Rules;
using Xunit.Abstractions;

namespace FlowExporter.Correlator.Tests;

/// <summary>
/// The Correlator's shape, checked on its IL: its namespaces form no cycle (the connection table at the bottom knows
/// series and quality only through its seams), and it does no I/O of its own.
/// </summary>
public sealed class ArchitectureTests(ITestOutputHelper output)
{
    private const string Root = "FlowExporter.Correlator";
    private static readonly Assembly Correlator = typeof(CaptureFileReader).Assembly;

    /// <summary>
    /// I/O the Correlator must not reference: files, sockets, HTTP, processes, the console, the host. (Reading a
    /// <see cref="Stream"/> the caller opened is allowed to the capture file reader only: see below.)
    /// </summary>
    private static readonly string[] Io =
    [
        "System.IO",
        "System.Net.Sockets",
        "System.Net.Http",
        "System.Net.NetworkInformation",
        "System.Diagnostics.Process",
        "System.Console",
        "Microsoft.Extensions.Hosting",
        "Microsoft.Extensions.Logging",
        "Microsoft.AspNetCore",
    ];

    [Fact]
    public void The_namespace_graph_has_no_cycle()
    {
        var graph = NamespaceGraph.Of(Correlator, Root);
        output.WriteLine(graph.ToString());
        Assert.True(graph.Cycles().Count == 0, $"namespace cycles: {string.Join("; ", graph.Cycles())}{Environment.NewLine}{graph}");
    }

    /// <summary>The graph sees the dependencies it should: a check that would pass on an empty graph proves nothing.</summary>
    [Fact]
    public void The_namespace_graph_sees_known_dependencies_and_the_layering()
    {
        var graph = NamespaceGraph.Of(Correlator, Root);
        Assert.Contains($"{Root}.Connections", graph.Edges[$"{Root}.Capture"]);
        Assert.Contains($"{Root}.Connections", graph.Edges[$"{Root}.Quality"]);
        Assert.Contains($"{Root}.Connections", graph.Edges[$"{Root}.Series"]);
        Assert.DoesNotContain($"{Root}.Capture", graph.Edges[$"{Root}.CaptureFiles"]);
        Assert.DoesNotContain($"{Root}.Series", graph.Edges[$"{Root}.Connections"]);
        Assert.DoesNotContain($"{Root}.Quality", graph.Edges[$"{Root}.Connections"]);
    }

    [Fact]
    public void Nothing_outside_the_capture_file_reader_references_an_io_namespace()
    {
        var result = Types.InAssembly(Correlator)
            .That().DoNotResideInNamespace($"{Root}.CaptureFiles")
            .ShouldNot().HaveDependencyOnAny(Io)
            .GetResult();
        Assert.True(result.IsSuccessful, "I/O referenced by: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    /// <summary>
    /// The capture file reader parses a <see cref="Stream"/> its caller opened (a file, stdin, a test's bytes): that is
    /// its input, not I/O it chooses. It opens nothing itself: no files, paths, directories, sockets or processes.
    /// </summary>
    [Fact]
    public void The_capture_file_reader_reads_a_given_stream_and_opens_nothing()
    {
        var opening = Io.Where(n => n != "System.IO").Concat(["System.IO.File", "System.IO.Directory", "System.IO.Path", "System.IO.Pipes", "System.IO.MemoryMappedFiles", "System.IO.Compression"]).ToArray();
        var result = Types.InAssembly(Correlator)
            .That().ResideInNamespace($"{Root}.CaptureFiles")
            .ShouldNot().HaveDependencyOnAny(opening)
            .GetResult();
        Assert.True(result.IsSuccessful, "opens I/O: " + string.Join(", ", result.FailingTypeNames ?? []));

        // The rule sees what it should: the reader does depend on System.IO (its Stream).
        Assert.False(Types.InAssembly(Correlator).That().ResideInNamespace($"{Root}.CaptureFiles").ShouldNot().HaveDependencyOn("System.IO").GetResult().IsSuccessful);
    }
}
