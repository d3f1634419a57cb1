using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Metadata;

public sealed class EndpointIndexTests
{
    private static NetworkEndpoint Pod(string ns, string name, string node, EndpointSource source = EndpointSource.Kubernetes) =>
        new(ns, name, node, WorkloadKinds.Pod, name, HostNetwork: false, source);

    private static IpAddress Ip(string text) => IpAddress.Parse(text);

    private static IpPrefix Net(string text) => IpPrefix.TryParse(text, out var prefix) ? prefix : throw new ArgumentException(text);

    [Fact]
    public void Finds_every_pod_ip_of_both_families()
    {
        var builder = new EndpointIndexBuilder();
        var pod = Pod("shop", "web-1", "node-a");
        builder.AddPod(pod, [Ip("10.244.1.7"), Ip("fd00:10:244:1::7")]);
        var index = builder.Build();

        Assert.Same(pod, index.Find(Ip("10.244.1.7")));
        Assert.Same(pod, index.Find(Ip("fd00:10:244:1::7")));
        Assert.Null(index.Find(Ip("10.244.1.8")));
        Assert.Null(index.Find(Ip("fd00:10:244:1::8")));
    }

    [Fact]
    public void Host_network_pods_map_their_shared_ip_to_the_node_not_to_one_pod()
    {
        var builder = new EndpointIndexBuilder();
        builder.AddPod(Pod("kube-system", "kube-proxy-x", "node-a") with { HostNetwork = true }, [Ip("172.18.0.3")]);
        builder.AddPod(Pod("kube-system", "etcd-node-a", "node-a") with { HostNetwork = true }, [Ip("172.18.0.3")]);
        var index = builder.Build();

        var endpoint = index.Find(Ip("172.18.0.3"));
        Assert.NotNull(endpoint);
        Assert.Equal(string.Empty, endpoint.PodName);
        Assert.Equal(string.Empty, endpoint.Namespace);
        Assert.Equal("node-a", endpoint.Node);
        Assert.Equal(WorkloadKinds.Node, endpoint.WorkloadKind);
        Assert.Equal("node-a", endpoint.Workload);
        Assert.True(endpoint.HostNetwork);
    }

    [Fact]
    public void A_pod_entry_beats_a_node_entry_for_the_same_ip()
    {
        var builder = new EndpointIndexBuilder();
        var pod = Pod("a", "p", "node-a");
        builder.AddPod(pod, [Ip("10.0.0.5")]);
        builder.AddNode("node-a", Ip("10.0.0.5"), EndpointSource.Kubernetes);
        Assert.Same(pod, builder.Build().Find(Ip("10.0.0.5")));
    }

    [Fact]
    public void ClusterIps_resolve_to_their_service()
    {
        var builder = new EndpointIndexBuilder();
        builder.AddService(Ip("10.96.0.10"), NetworkEndpoint.ForService("kube-system", "kube-dns", EndpointSource.Kubernetes));
        var index = builder.Build();

        var endpoint = index.FindService(Ip("10.96.0.10"));
        Assert.NotNull(endpoint);
        Assert.Equal(new ServiceRef("kube-system", "kube-dns"), endpoint.Service);
        Assert.Equal("kube-system", endpoint.Namespace);
        Assert.Same(endpoint, index.Find(Ip("10.96.0.10")));
        Assert.Null(index.FindService(Ip("10.96.0.11")));
    }

    [Fact]
    public void Cidrs_match_by_longest_prefix_in_both_families()
    {
        var builder = new EndpointIndexBuilder();
        var wide = Pod("", "lab", "", EndpointSource.StaticFile);
        var narrow = Pod("", "rack-3", "", EndpointSource.StaticFile);
        var host = Pod("", "db-host", "", EndpointSource.StaticFile);
        var v6 = Pod("", "v6-lab", "", EndpointSource.StaticFile);
        builder.AddCidr(Net("192.0.2.0/24"), wide);
        builder.AddCidr(Net("192.0.2.128/25"), narrow);
        builder.AddCidr(Net("2001:db8::/32"), v6);
        builder.AddAddress(Ip("192.0.2.200"), host);
        var index = builder.Build();

        Assert.Same(wide, index.Find(Ip("192.0.2.5")));
        Assert.Same(narrow, index.Find(Ip("192.0.2.130")));
        Assert.Same(host, index.Find(Ip("192.0.2.200")));
        Assert.Same(v6, index.Find(Ip("2001:db8:1::1")));
        Assert.Null(index.Find(Ip("192.0.3.1")));
        Assert.Null(index.Find(Ip("2001:db9::1")));
    }

    [Fact]
    public void Merge_prefers_kubernetes_then_ovs_then_the_static_file()
    {
        var k8s = Pod("shop", "web-1", "node-a");
        var ovs = Pod("shop", "web-1-stale", "node-a", EndpointSource.Ovs);
        var file = Pod("", "old-host", "", EndpointSource.StaticFile);
        var ip = Ip("10.244.1.7");
        var onlyOvs = Ip("10.244.1.8");

        var fromFile = new EndpointIndexBuilder();
        fromFile.AddAddress(ip, file);
        fromFile.AddAddress(onlyOvs, file);
        var fromOvs = new EndpointIndexBuilder();
        fromOvs.AddAddress(ip, ovs);
        fromOvs.AddAddress(onlyOvs, ovs);
        var fromK8s = new EndpointIndexBuilder();
        fromK8s.AddPod(k8s, [ip]);

        // Whatever order the snapshots come in.
        var (fileIndex, ovsIndex, k8sIndex) = (fromFile.Build(), fromOvs.Build(), fromK8s.Build());
        var merged = EndpointIndex.Merge([fileIndex, ovsIndex, k8sIndex]);
        Assert.Same(k8s, merged.Find(ip));
        Assert.Same(ovs, merged.Find(onlyOvs));
        merged = EndpointIndex.Merge([k8sIndex, ovsIndex, fileIndex]);
        Assert.Same(k8s, merged.Find(ip));
        Assert.Same(ovs, merged.Find(onlyOvs));
    }

    [Fact]
    public void Merge_lets_a_live_entry_beat_a_retained_one_from_a_stronger_source()
    {
        var retained = Pod("shop", "gone", "node-a") with { Retained = true };
        var live = Pod("", "static-host", "", EndpointSource.StaticFile);
        var a = new EndpointIndexBuilder();
        a.AddPod(retained, [Ip("10.0.0.1")]);
        var b = new EndpointIndexBuilder();
        b.AddAddress(Ip("10.0.0.1"), live);

        Assert.Same(live, EndpointIndex.Merge([a.Build(), b.Build()]).Find(Ip("10.0.0.1")));
    }

    [Fact]
    public void An_exact_ip_from_any_source_beats_a_covering_cidr()
    {
        var pod = Pod("shop", "web-1", "node-a", EndpointSource.Ovs);
        var cidr = Pod("", "pod-network", "", EndpointSource.StaticFile);
        var a = new EndpointIndexBuilder();
        a.AddCidr(Net("10.244.0.0/16"), cidr);
        var b = new EndpointIndexBuilder();
        b.AddPod(pod, [Ip("10.244.1.7")]);
        var merged = EndpointIndex.Merge([a.Build(), b.Build()]);

        Assert.Same(pod, merged.Find(Ip("10.244.1.7")));
        Assert.Same(cidr, merged.Find(Ip("10.244.1.9")));
        Assert.Equal(2, merged.Count);
    }

    [Fact]
    public void Build_hands_the_tables_over_and_starts_afresh()
    {
        var builder = new EndpointIndexBuilder();
        builder.AddAddress(Ip("10.0.0.1"), Pod("a", "p", "n"));
        var first = builder.Build();
        builder.AddAddress(Ip("10.0.0.2"), Pod("a", "q", "n"));
        var second = builder.Build();
        Assert.Equal([Ip("10.0.0.1")], first.Addresses.Keys);
        Assert.Equal([Ip("10.0.0.2")], second.Addresses.Keys);
    }

    [Fact]
    public void Empty_builds_the_shared_empty_index()
    {
        Assert.Same(EndpointIndex.Empty, new EndpointIndexBuilder().Build());
        Assert.Null(EndpointIndex.Empty.Find(Ip("10.0.0.1")));
    }
}
