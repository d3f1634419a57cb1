using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Metadata;

public sealed class ClusterStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static IpAddress Ip(string text) => IpAddress.Parse(text);

    private static PodRecord Pod(string name, string ip, bool live = true, OwnerRef? owner = null, string node = "node-a", bool hostNetwork = false) =>
        new("shop", name, node, hostNetwork, live, [Ip(ip)], [Ip("172.18.0.3")], owner);

    private static ClusterState NewState(int max = 100, int retained = 10) =>
        new(max, new RetainedEndpoints(TimeSpan.FromSeconds(120), retained));

    [Fact]
    public void Names_workloads_through_replicasets_known_later()
    {
        var state = NewState();
        state.UpsertPod(Pod("web-5d4f-x", "10.244.1.7", owner: new OwnerRef("ReplicaSet", "web-5d4f")), T0);
        Assert.Equal(WorkloadKinds.ReplicaSet, state.Build(T0).Find(Ip("10.244.1.7"))!.WorkloadKind);

        state.UpsertReplicaSet(new OwnedObject("shop", "web-5d4f", new OwnerRef("Deployment", "web")));
        var endpoint = state.Build(T0).Find(Ip("10.244.1.7"))!;
        Assert.Equal((WorkloadKinds.Deployment, "web"), (endpoint.WorkloadKind, endpoint.Workload));
        Assert.Equal(("shop", "web-5d4f-x", "node-a"), (endpoint.Namespace, endpoint.PodName, endpoint.Node));
    }

    [Fact]
    public void Node_ips_come_from_host_ips_and_host_network_pods()
    {
        var state = NewState();
        state.UpsertPod(Pod("web", "10.244.1.7"), T0);
        state.UpsertPod(Pod("kube-proxy", "172.18.0.3", hostNetwork: true), T0);
        state.UpsertPod(Pod("etcd", "172.18.0.3", hostNetwork: true), T0);
        var node = state.Build(T0).Find(Ip("172.18.0.3"))!;
        Assert.Equal((WorkloadKinds.Node, "node-a", ""), (node.WorkloadKind, node.Workload, node.PodName));
    }

    [Fact]
    public void A_deleted_pod_keeps_its_labels_for_the_grace_period_then_leaves()
    {
        var state = NewState();
        state.UpsertPod(Pod("web", "10.244.1.7"), T0);
        state.DeletePod("shop", "web", T0.AddSeconds(10));

        var kept = state.Build(T0.AddSeconds(129)).Find(Ip("10.244.1.7"));
        Assert.NotNull(kept);
        Assert.True(kept.Retained);
        Assert.Equal("web", kept.PodName);
        Assert.Null(state.Build(T0.AddSeconds(130)).Find(Ip("10.244.1.7")));
        Assert.Equal(0, state.Retained.Count);
    }

    [Fact]
    public void A_new_pod_on_a_retained_ip_wins_at_once()
    {
        var state = NewState();
        state.UpsertPod(Pod("old", "10.244.1.7"), T0);
        state.DeletePod("shop", "old", T0);
        state.UpsertPod(Pod("new", "10.244.1.7"), T0.AddSeconds(1));
        var endpoint = state.Build(T0.AddSeconds(1)).Find(Ip("10.244.1.7"))!;
        Assert.Equal("new", endpoint.PodName);
        Assert.False(endpoint.Retained);
    }

    [Fact]
    public void A_finished_pod_is_not_live_and_is_retained_when_it_was()
    {
        var state = NewState();
        state.UpsertPod(Pod("job-x", "10.244.0.5", live: false, owner: new OwnerRef("Job", "j")), T0);
        Assert.Null(state.Build(T0).Find(Ip("10.244.0.5")));

        state.UpsertPod(Pod("web", "10.244.0.6"), T0);
        state.UpsertPod(Pod("web", "10.244.0.6", live: false), T0.AddSeconds(5));
        Assert.True(state.Build(T0.AddSeconds(5)).Find(Ip("10.244.0.6"))!.Retained);
    }

    [Fact]
    public void A_relist_retains_pods_that_vanished_and_keeps_the_rest()
    {
        var state = NewState();
        state.ReplacePods([Pod("a", "10.0.0.1"), Pod("b", "10.0.0.2")], T0);
        state.ReplacePods([Pod("b", "10.0.0.2"), Pod("c", "10.0.0.3")], T0.AddSeconds(1));
        var index = state.Build(T0.AddSeconds(1));
        Assert.True(index.Find(Ip("10.0.0.1"))!.Retained);
        Assert.False(index.Find(Ip("10.0.0.2"))!.Retained);
        Assert.Equal("c", index.Find(Ip("10.0.0.3"))!.PodName);
        Assert.Equal(2, state.PodCount);
    }

    [Fact]
    public void Two_live_pods_claiming_one_ip_resolve_to_the_one_seen_last()
    {
        var state = NewState();
        state.UpsertPod(Pod("a", "10.0.0.1"), T0);
        state.UpsertPod(Pod("b", "10.0.0.1"), T0);
        Assert.Equal("b", state.Build(T0).Find(Ip("10.0.0.1"))!.PodName);
        state.UpsertPod(Pod("a", "10.0.0.1"), T0);
        Assert.Equal("a", state.Build(T0).Find(Ip("10.0.0.1"))!.PodName);
    }

    [Fact]
    public void Each_kind_is_capped_and_the_excess_counted()
    {
        var state = NewState(max: 2);
        state.UpsertPod(Pod("a", "10.0.0.1"), T0);
        state.UpsertPod(Pod("b", "10.0.0.2"), T0);
        state.UpsertPod(Pod("c", "10.0.0.3"), T0);
        state.UpsertPod(Pod("a", "10.0.0.9"), T0);
        state.ReplaceServices([
            new ServiceRecord("shop", "s1", [Ip("10.96.0.1")]),
            new ServiceRecord("shop", "s2", [Ip("10.96.0.2")]),
            new ServiceRecord("shop", "s3", [Ip("10.96.0.3")]),
        ]);

        Assert.Equal(2, state.PodCount);
        Assert.Equal(1, state.Dropped[ClusterState.Pods]);
        Assert.Equal(2, state.ServiceCount);
        Assert.Equal(1, state.Dropped[ClusterState.Services]);
        var index = state.Build(T0);
        Assert.Null(index.Find(Ip("10.0.0.3")));
        Assert.Equal("a", index.Find(Ip("10.0.0.9"))!.PodName);
    }

    [Fact]
    public void Dual_stack_services_index_every_cluster_ip()
    {
        var state = NewState();
        state.UpsertService(new ServiceRecord("shop", "web", [Ip("10.96.0.20"), Ip("fd00:10:96::20")]));
        var index = state.Build(T0);
        Assert.Equal("web", index.FindService(Ip("fd00:10:96::20"))!.Service!.Name);
        Assert.Equal("web", index.FindService(Ip("10.96.0.20"))!.Service!.Name);
        state.DeleteService("shop", "web");
        Assert.Null(state.Build(T0).FindService(Ip("10.96.0.20")));
    }
}
