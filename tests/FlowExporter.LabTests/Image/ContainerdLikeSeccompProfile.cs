using System.Text.Json.Nodes;

namespace FlowExporter.LabTests.Image;

/// <summary>
/// podman's default seccomp profile (containers-common, /usr/share/containers/seccomp.json) allows bpf(2) and
/// perf_event_open(2) only with CAP_SYS_ADMIN. Kubernetes' <c>RuntimeDefault</c> under containerd (and Docker's default)
/// allows bpf with CAP_BPF and perf_event_open with CAP_PERFMON. This writes podman's profile with exactly that
/// difference, so the image runs in the lab under the seccomp rules a containerd node applies to the DaemonSet.
/// </summary>
public static class ContainerdLikeSeccompProfile
{
    public const string PodmanDefault = "/usr/share/containers/seccomp.json";

    private static readonly (string Syscall, string Capability)[] ByCapability = [("bpf", "CAP_BPF"), ("perf_event_open", "CAP_PERFMON")];

    public static string Write(string directory)
    {
        Assert.True(File.Exists(PodmanDefault), $"podman's default seccomp profile {PodmanDefault} is missing (package containers-common)");
        var profile = JsonNode.Parse(File.ReadAllText(PodmanDefault))!.AsObject();
        var rules = profile["syscalls"]!.AsArray();
        foreach (var rule in rules)
        {
            var names = rule!["names"]!.AsArray();
            foreach (var (syscall, _) in ByCapability)
            {
                var present = names.FirstOrDefault(n => (string?)n == syscall);
                if (present is not null)
                {
                    names.Remove(present);
                }
            }
        }

        foreach (var (syscall, capability) in ByCapability)
        {
            rules.Add(new JsonObject
            {
                ["names"] = new JsonArray(syscall),
                ["action"] = "SCMP_ACT_ALLOW",
                ["includes"] = new JsonObject { ["caps"] = new JsonArray(capability) },
            });
        }

        var path = Path.Combine(directory, "seccomp-containerd-like.json");
        File.WriteAllText(path, profile.ToJsonString());
        return path;
    }
}
