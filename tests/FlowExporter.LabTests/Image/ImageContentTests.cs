using System.Text.Json;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Image;

/// <summary>
/// The OCI archive scripts/image writes, read with skopeo and tar (what would be pushed): labels, a non-root user, the
/// exporter's file capabilities, and only the files an exporter needs.
/// </summary>
[Trait("Category", "Lab")]
[Collection(ImageCollection.Name)]
public sealed class ImageContentTests(BuiltImage image)
{
    /// <summary>A Debian root filesystem's top level (merged /usr: bin, lib, sbin are links) plus /app.</summary>
    private static readonly string[] TopLevel =
    [
        "app", "bin", "boot", "dev", "etc", "home", "lib", "lib64", "media", "mnt", "opt", "proc", "root", "run", "sbin",
        "srv", "sys", "tmp", "usr", "var",
    ];

    [Fact]
    public async Task Skopeo_shows_the_OCI_labels_the_entrypoint_and_a_non_root_user()
    {
        var inspect = await ProcessRunner.CheckAsync("skopeo", ["inspect", "--config", $"oci-archive:{image.ArchivePath}"], TimeSpan.FromSeconds(60));
        using var document = JsonDocument.Parse(inspect.StandardOutput);
        var config = document.RootElement.GetProperty("config");
        Assert.Equal($"{ImageUser.Uid}:{ImageUser.Gid}", config.GetProperty("User").GetString());
        Assert.Equal(["/app/flowexporter"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["--config", "/etc/flowexporter/config.yaml"], config.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("9004/tcp", out _));

        var labels = config.GetProperty("Labels");
        var revision = (await ProcessRunner.CheckAsync("git", ["-C", image.Root, "rev-parse", "HEAD"])).StandardOutput.Trim();
        Assert.Equal(revision, labels.GetProperty("org.opencontainers.image.revision").GetString());
        Assert.Equal(image.Reference[(image.Reference.LastIndexOf(':') + 1)..], labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.StartsWith("https://", labels.GetProperty("org.opencontainers.image.source").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(labels.GetProperty("org.opencontainers.image.licenses").GetString()));
    }

    [Fact]
    public async Task Holds_only_a_root_filesystem_and_the_app_with_no_compiler_shell_history_or_secrets()
    {
        var files = await ListFilesAsync();

        Assert.Empty(files.Select(f => f.Split('/')[0]).Distinct().Except(TopLevel));
        Assert.Contains("app/flowexporter", files);
        Assert.Contains("usr/lib/x86_64-linux-gnu/libpcap.so.0.8", files);
        Assert.Contains(files, f => f.StartsWith("usr/lib/x86_64-linux-gnu/libbpf.so.1", StringComparison.Ordinal));
        Assert.Contains("etc/ssl/certs/ca-certificates.crt", files);

        string[] compilers = ["gcc", "cc", "c++", "g++", "clang", "ld", "as", "make", "dotnet"];
        Assert.DoesNotContain(files, f => f.StartsWith("usr/bin/", StringComparison.Ordinal) && compilers.Contains(Path.GetFileName(f)));
        Assert.DoesNotContain(files, f => f.StartsWith("usr/share/dotnet", StringComparison.Ordinal) || f.StartsWith("usr/lib/gcc", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith("_history", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => (f.StartsWith("root/", StringComparison.Ordinal) || f.StartsWith("home/", StringComparison.Ordinal)) && f is not "root/.bashrc" and not "root/.profile");
        Assert.DoesNotContain(files, f => f.StartsWith("etc/ssl/private/", StringComparison.Ordinal) || f.EndsWith(".key", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("id_", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith("app/", StringComparison.Ordinal) && (f.EndsWith(".pdb", StringComparison.Ordinal) || f.EndsWith(".xml", StringComparison.Ordinal)));
        Assert.DoesNotContain(files, f => f.StartsWith("etc/flowexporter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_exporter_carries_the_capture_engines_capabilities_as_permitted_file_capabilities_only()
    {
        var directory = Directory.CreateTempSubdirectory("fe-image-caps-");
        try
        {
            foreach (var layer in await LayersAsync(directory.FullName))
            {
                await ProcessRunner.RunAsync("tar", ["--xattrs", "--xattrs-include=security.capability", "-xf", layer, "-C", directory.FullName, "app/flowexporter"], TimeSpan.FromSeconds(60));
            }

            var caps = await ProcessRunner.CheckAsync("getcap", [Path.Combine(directory.FullName, "app", "flowexporter")]);
            Assert.EndsWith(" cap_net_admin,cap_net_raw,cap_perfmon,cap_bpf=p", caps.StandardOutput.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private async Task<HashSet<string>> ListFilesAsync()
    {
        var directory = Directory.CreateTempSubdirectory("fe-image-list-");
        try
        {
            var files = new HashSet<string>(StringComparer.Ordinal);
            foreach (var layer in await LayersAsync(directory.FullName))
            {
                var listing = await ProcessRunner.CheckAsync("tar", ["-tf", layer], TimeSpan.FromSeconds(60));
                foreach (var entry in listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var path = entry.TrimStart('.', '/').TrimEnd('/');
                    if (path.Length > 0)
                    {
                        files.Add(path);
                    }
                }
            }

            return files;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Unpacks the archive into <paramref name="directory"/> and returns its layer tars, bottom first.</summary>
    private async Task<IReadOnlyList<string>> LayersAsync(string directory)
    {
        var archive = Path.Combine(directory, "archive");
        Directory.CreateDirectory(archive);
        await ProcessRunner.CheckAsync("tar", ["-xf", image.ArchivePath, "-C", archive], TimeSpan.FromSeconds(120));
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(archive, "index.json")));
        var manifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(BlobPath(archive, manifestDigest)));
        return manifest.RootElement.GetProperty("layers").EnumerateArray()
            .Select(layer => BlobPath(archive, layer.GetProperty("digest").GetString()!))
            .ToList();
    }

    private static string BlobPath(string archive, string digest) => Path.Combine(archive, "blobs", digest.Replace(':', '/'));
}
