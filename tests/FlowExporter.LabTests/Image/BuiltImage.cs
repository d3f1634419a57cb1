using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Image;

/// <summary>
/// The image as scripts/image builds it from this checkout (root filesystem from mmdebstrap, cached in artifacts/image;
/// the exporter published on the host): its reference in the local podman store and its OCI archive.
/// </summary>
public sealed class BuiltImage : IAsyncLifetime
{
    private static readonly string[] Tools = ["podman", "skopeo", "mmdebstrap", "setcap", "getcap", "tar", "python3", "dotnet"];

    public string Reference { get; private set; } = string.Empty;

    public string ArchivePath { get; private set; } = string.Empty;

    public string Root { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        LabPrerequisites.Require(Tools);
        var build = await ProcessRunner.RunAsync("bash", [Path.Combine(Root, "scripts", "image")], TimeSpan.FromMinutes(15));
        Assert.True(build.Succeeded, $"scripts/image failed:\n{build.StandardOutput}\n{build.StandardError}");
        Reference = build.StandardOutput.Trim().Split('\n')[^1];
        var tag = Reference[(Reference.LastIndexOf(':') + 1)..];
        ArchivePath = Path.Combine(Root, "artifacts", "image", $"flowexporter-{tag}.oci.tar");
        Assert.True(File.Exists(ArchivePath), $"scripts/image wrote no {ArchivePath}:\n{build.StandardOutput}");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Containerfile")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Containerfile not found in any parent of {AppContext.BaseDirectory}");
    }
}
