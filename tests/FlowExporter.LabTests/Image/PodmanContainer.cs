using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Image;

/// <summary>
/// The image run with podman the way deploy/k8s/06-daemonset.yaml runs it: in a lab node's network namespace (the
/// DaemonSet's hostNetwork), read-only root filesystem, every capability dropped except the given ones, no new
/// privileges, the ConfigMap's config file and the SNMP Secret's files mounted read-only. Removed on dispose.
/// </summary>
public sealed class PodmanContainer : IAsyncDisposable
{
    private PodmanContainer(string name) => Name = name;

    public string Name { get; }

    public static async Task<PodmanContainer> RunAsync(
        string image,
        string networkNamespace,
        IReadOnlyList<string> capabilities,
        string configFile,
        string snmpDirectory,
        string ovsDirectory,
        string? user = null,
        string? seccompProfile = null)
    {
        var container = new PodmanContainer($"fe-image-{Guid.NewGuid().ToString("N")[..8]}");
        List<string> arguments =
        [
            "run", "--detach", "--name", container.Name,
            // This machine's settings (cgroups v1 hybrid, capped limits): LAB.md, "Containers here". Not the image's.
            "--runtime=runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768",
            $"--network=ns:/run/netns/{networkNamespace}",
            "--read-only", "--tmpfs", "/tmp:size=16m",
            "--cap-drop=ALL",
            "--security-opt=no-new-privileges",
            "--env", "NODE_NAME=lab-node",
            "--volume", $"{configFile}:/etc/flowexporter/config.yaml:ro",
            "--volume", $"{snmpDirectory}:/etc/flowexporter/snmp:ro",
            "--volume", $"{ovsDirectory}:/var/run/openvswitch:ro",
        ];
        if (seccompProfile is not null)
        {
            arguments.Add($"--security-opt=seccomp={seccompProfile}");
        }

        if (user is not null)
        {
            arguments.Add($"--user={user}");
        }

        if (capabilities.Count > 0)
        {
            arguments.Add("--cap-add=" + string.Join(',', capabilities));
        }

        arguments.Add(image);
        (await ProcessRunner.RunAsync("podman", arguments, TimeSpan.FromSeconds(60))).EnsureSuccess();
        return container;
    }

    /// <summary>What the exporter wrote, stdout and stderr.</summary>
    public async Task<string> LogsAsync()
    {
        var logs = await ProcessRunner.CheckAsync("podman", ["logs", Name], TimeSpan.FromSeconds(20));
        return logs.StandardOutput + logs.StandardError;
    }

    public async Task<string> InspectAsync(string format) =>
        (await ProcessRunner.CheckAsync("podman", ["inspect", "--format", format, Name], TimeSpan.FromSeconds(20))).StandardOutput.Trim();

    /// <summary>podman stop with a 5 s grace: true if the exporter ended by itself on SIGTERM, with exit code 0.</summary>
    public async Task<(bool Exited, string ExitCode)> StopAsync()
    {
        (await ProcessRunner.RunAsync("podman", ["stop", "--time", "5", Name], TimeSpan.FromSeconds(30))).EnsureSuccess();
        var code = await InspectAsync("{{.State.ExitCode}}");
        return (code == "0", code);
    }

    public async ValueTask DisposeAsync() =>
        await ProcessRunner.RunAsync("podman", ["rm", "--force", "--time", "0", Name], TimeSpan.FromSeconds(30));
}
