using System.Text.Json;
using System.Text.Json.Serialization;

namespace KubeApiStandIn;

/// <summary>The lab's cluster in brief (a JSON file the lab writes): what the stand-in turns into full API objects.</summary>
internal sealed record LabObjects(
    [property: JsonPropertyName("pods")] IReadOnlyList<LabPod> Pods,
    [property: JsonPropertyName("replicaSets")] IReadOnlyList<LabOwned> ReplicaSets,
    [property: JsonPropertyName("jobs")] IReadOnlyList<LabOwned> Jobs,
    [property: JsonPropertyName("services")] IReadOnlyList<LabService> Services)
{
    private static readonly JsonSerializerOptions Strict = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static LabObjects Load(string path)
    {
        var objects = JsonSerializer.Deserialize<LabObjects>(File.ReadAllText(path), Strict)
            ?? throw new InvalidDataException($"{path}: empty");
        return objects with
        {
            Pods = objects.Pods ?? [],
            ReplicaSets = objects.ReplicaSets ?? [],
            Jobs = objects.Jobs ?? [],
            Services = objects.Services ?? [],
        };
    }
}

/// <summary>A pod: where it runs, its addresses and its controlling owner (kind/name), if any.</summary>
internal sealed record LabPod(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("hostIP")] string HostIp,
    [property: JsonPropertyName("ips")] IReadOnlyList<string> Ips,
    [property: JsonPropertyName("owner")] LabOwner? Owner);

/// <summary>An owning object (ReplicaSet, Job) and its own controlling owner (Deployment, CronJob).</summary>
internal sealed record LabOwned(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("owner")] LabOwner? Owner);

internal sealed record LabOwner(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name);

internal sealed record LabService(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("clusterIP")] string ClusterIp,
    [property: JsonPropertyName("port")] int Port);
