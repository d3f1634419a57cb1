using System.Text.RegularExpressions;
using FlowExporter.Tests.Deploy;

namespace FlowExporter.Tests;

/// <summary>
/// The test projects mirror src: every test file sits in the folder of the src folder its code lives in (or in a folder
/// this test names with its reason), its namespace follows its folder, and fixtures live only in tests/fixtures.
/// </summary>
public sealed partial class TestLayoutTests
{
    private sealed record TestProject(string Folder, string RootNamespace, string[] SourceFolders, string[] OtherFolders, string[] RootFiles);

    private static readonly TestProject[] Projects =
    [
        new("Correlator.Tests", "FlowExporter.Correlator.Tests", ["src/Correlator"],
            // Support: helpers shared by the project's tests.
            ["Support"],
            // Whole-assembly checks.
            ["ArchitectureTests.cs"]),
        new("FlowExporter.Tests", "FlowExporter.Tests", ["src/FlowExporter"],
            // Deploy: the repository's artifacts (deploy/, scripts/, dashboards, workflows), which are not code in src.
            ["Deploy"],
            ["ArchitectureTests.cs", "TestLayoutTests.cs"]),
        new("FlowExporter.LabTests", "FlowExporter.LabTests", ["src/FlowExporter", "src/Correlator"],
            // Lab scenarios spanning several src folders or none: the lab itself, every source at once with faults,
            // the container image, the one-command quick start, scale and soak runs, and eBPF (capture, its loader
            // tool and the kernel together); Support: lab helpers.
            ["Support", "Lab", "Faults", "Image", "Quickstart", "Scale", "Soak", "Ebpf"],
            []),
    ];

    /// <summary>Files that keep a namespace of their own because several projects compile them.</summary>
    private static readonly string[] SharedNamespaceFiles = ["Correlator.Tests/Support/NamespaceGraph.cs"];

    public static TheoryData<string> ProjectFolders() => [.. Projects.Select(project => project.Folder)];

    [Theory]
    [MemberData(nameof(ProjectFolders))]
    public void Every_test_file_sits_in_a_folder_that_mirrors_src(string folder)
    {
        var project = Projects.Single(candidate => candidate.Folder == folder);
        var misplaced = SourceFiles(project)
            .Where(file => !IsPlaced(project, file))
            .ToList();

        Assert.True(misplaced.Count == 0,
            $"test files in no folder that mirrors {string.Join(" or ", project.SourceFolders)} (nor one of " +
            $"{string.Join(", ", project.OtherFolders)}): {string.Join(", ", misplaced)}");
    }

    [Theory]
    [MemberData(nameof(ProjectFolders))]
    public void Every_test_namespace_follows_its_folder(string folder)
    {
        var project = Projects.Single(candidate => candidate.Folder == folder);
        var wrong = new List<string>();
        foreach (var file in SourceFiles(project))
        {
            if (SharedNamespaceFiles.Contains($"{project.Folder}/{file}"))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(file)!.Replace('/', '.');
            var expected = directory.Length == 0 ? project.RootNamespace : $"{project.RootNamespace}.{directory}";
            var match = NamespaceLine().Match(File.ReadAllText(RepositoryFiles.PathOf("tests", project.Folder, file)));
            if (!match.Success || match.Groups[1].Value != expected)
            {
                wrong.Add($"{file}: {(match.Success ? match.Groups[1].Value : "no namespace")} (expected {expected})");
            }
        }

        Assert.True(wrong.Count == 0, $"namespaces that do not follow their folder: {string.Join("; ", wrong)}");
    }

    [Fact]
    public void Fixtures_live_only_in_tests_fixtures()
    {
        var tests = RepositoryFiles.PathOf("tests");
        var elsewhere = Directory.EnumerateDirectories(tests, "fixtures", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(tests, path).Replace('\\', '/'))
            .Where(path => path != "fixtures" && !IsBuildOutput(path))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(elsewhere.Count == 0, $"fixtures outside tests/fixtures: {string.Join(", ", elsewhere)}");
        Assert.True(File.Exists(Path.Combine(tests, "fixtures", "SOURCES.md")), "tests/fixtures/SOURCES.md is missing");
    }

    private static bool IsPlaced(TestProject project, string file)
    {
        var directory = Path.GetDirectoryName(file)!.Replace('\\', '/');
        if (directory.Length == 0)
        {
            return project.RootFiles.Contains(file);
        }

        var top = directory.Split('/')[0];
        return project.OtherFolders.Contains(top)
            || project.SourceFolders.Any(source => Directory.Exists(RepositoryFiles.PathOf(source, directory)));
    }

    private static IEnumerable<string> SourceFiles(TestProject project)
    {
        var root = RepositoryFiles.PathOf("tests", project.Folder);
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(path => !IsBuildOutput(path))
            .Order(StringComparer.Ordinal);
    }

    private static bool IsBuildOutput(string relativePath) =>
        relativePath.Split('/').Any(part => part is "bin" or "obj");

    [GeneratedRegex(@"^namespace ([A-Za-z0-9_.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
