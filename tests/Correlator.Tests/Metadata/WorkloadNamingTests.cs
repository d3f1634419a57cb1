using FlowExporter.Correlator.Metadata;

namespace FlowExporter.Correlator.Tests.Metadata;

public sealed class WorkloadNamingTests
{
    private static readonly Dictionary<string, OwnedObject> ReplicaSets = new()
    {
        ["shop/web-5d4f"] = new OwnedObject("shop", "web-5d4f", new OwnerRef("Deployment", "web")),
        ["shop/bare-rs"] = new OwnedObject("shop", "bare-rs", null),
    };

    private static readonly Dictionary<string, OwnedObject> Jobs = new()
    {
        ["ops/backup-2900"] = new OwnedObject("ops", "backup-2900", new OwnerRef("CronJob", "backup")),
        ["ops/migrate"] = new OwnedObject("ops", "migrate", null),
    };

    private static (string, string) Resolve(string ns, string pod, OwnerRef? owner) =>
        WorkloadNaming.Resolve(ns, pod, owner, (n, name) => ReplicaSets.GetValueOrDefault($"{n}/{name}"), (n, name) => Jobs.GetValueOrDefault($"{n}/{name}"));

    [Theory]
    [InlineData("shop", "web-5d4f-x", "ReplicaSet", "web-5d4f", "Deployment", "web")]
    [InlineData("shop", "bare-rs-x", "ReplicaSet", "bare-rs", "ReplicaSet", "bare-rs")]
    [InlineData("shop", "unknown-rs-x", "ReplicaSet", "unknown-rs", "ReplicaSet", "unknown-rs")]
    [InlineData("db", "pg-0", "StatefulSet", "pg", "StatefulSet", "pg")]
    [InlineData("kube-system", "kube-proxy-x", "DaemonSet", "kube-proxy", "DaemonSet", "kube-proxy")]
    [InlineData("ops", "backup-2900-x", "Job", "backup-2900", "CronJob", "backup")]
    [InlineData("ops", "migrate-x", "Job", "migrate", "Job", "migrate")]
    [InlineData("kube-system", "etcd-node-a", "Node", "node-a", "Pod", "etcd-node-a")]
    [InlineData("argo", "r-1", "Rollout", "r", "Rollout", "r")]
    public void Follows_owner_chains(string ns, string pod, string ownerKind, string ownerName, string kind, string workload) =>
        Assert.Equal((kind, workload), Resolve(ns, pod, new OwnerRef(ownerKind, ownerName)));

    [Fact]
    public void A_bare_pod_is_its_own_workload() => Assert.Equal(("Pod", "debug"), Resolve("shop", "debug", null));

    [Fact]
    public void Owners_are_looked_up_in_the_pods_namespace() =>
        Assert.Equal(("ReplicaSet", "web-5d4f"), Resolve("other", "web-5d4f-x", new OwnerRef("ReplicaSet", "web-5d4f")));
}
