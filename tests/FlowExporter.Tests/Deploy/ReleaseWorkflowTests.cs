using YamlDotNet.RepresentationModel;

namespace FlowExporter.Tests.Deploy;

/// <summary>
/// .github/workflows/release.yml (no workflow linter is served here): valid YAML, triggered by version tags, and running
/// .ci/run's steps in .ci/run's order before it builds and pushes the image.
/// </summary>
public sealed class ReleaseWorkflowTests
{
    [Fact]
    public void Runs_the_steps_of_ci_run_in_order_then_builds_and_pushes_the_image()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(RepositoryFiles.PathOf(".github", "workflows", "release.yml")))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        var tags = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)root["on"])["push"])["tags"];
        Assert.Equal(["v*"], tags.Select(t => ((YamlScalarNode)t).Value));
        var job = (YamlMappingNode)((YamlMappingNode)root["jobs"])["release"];
        var runs = ((YamlSequenceNode)job["steps"])
            .Cast<YamlMappingNode>()
            .Where(step => step.Children.ContainsKey("run"))
            .Select(step => ((YamlScalarNode)step["run"]).Value!.Trim())
            .ToList();

        // .ci/run's commands after its `cd` (the workflow starts in the checkout), exec dropped.
        var ciSteps = File.ReadAllLines(RepositoryFiles.PathOf(".ci", "run"))
            .Where(line => line.Length > 0 && !line.StartsWith('#') && !line.StartsWith("set ", StringComparison.Ordinal) && !line.StartsWith("cd ", StringComparison.Ordinal))
            .Select(line => line.StartsWith("exec ", StringComparison.Ordinal) ? line[5..] : line)
            .ToList();
        Assert.Equal(["scripts/install-prereqs", "dotnet restore FlowExporter.sln", "dotnet format FlowExporter.sln --verify-no-changes --no-restore", "scripts/test"], ciSteps);
        var positions = ciSteps.Select(step => runs.IndexOf(step)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);

        var image = runs.IndexOf("scripts/image");
        Assert.True(image > positions[^1], "the image is built after the tests");
        Assert.Contains(runs.Skip(image + 1), run => run.Contains("skopeo copy", StringComparison.Ordinal) && run.Contains("oci-archive:artifacts/image/flowexporter-", StringComparison.Ordinal));
    }
}
