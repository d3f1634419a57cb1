using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsEndpointMapperTests
{
    private static OvsEndpoint Map(params (string Key, string Value)[] ids) =>
        OvsEndpointMapper.Map(ids.ToDictionary(kv => kv.Key, kv => kv.Value));

    [Fact]
    public void Ovn_kubernetes_iface_id_splits_at_the_first_underscore()
    {
        var endpoint = Map(("iface-id", "kube-system_coredns-5d78c9869d-8x2mv"), ("attached-mac", "0a:58:0a:f4:00:05"), ("iface-id-ver", "x"));
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.OvnKubernetes, "kube-system", "coredns-5d78c9869d-8x2mv", "kube-system_coredns-5d78c9869d-8x2mv", "0a:58:0a:f4:00:05", null), endpoint);
    }

    [Fact]
    public void Kube_ovn_pod_keys_win_over_its_iface_id()
    {
        var endpoint = Map(("pod_name", "web-0"), ("pod_namespace", "default"), ("ip", "10.16.0.5"), ("iface-id", "web-0.default"));
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.KubeOvn, "default", "web-0", "web-0.default", null, "10.16.0.5"), endpoint);
    }

    [Fact]
    public void Antrea_pod_keys_map()
    {
        var endpoint = Map(("pod-name", "db-1"), ("pod-namespace", "data"), ("ip", "10.10.1.4,fd00::4"), ("attached-mac", "aa:bb:cc:00:00:01"));
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.Antrea, "data", "db-1", null, "aa:bb:cc:00:00:01", "10.10.1.4,fd00::4"), endpoint);
    }

    [Fact]
    public void Openstack_uuid_iface_id_is_kept_unmapped()
    {
        var endpoint = Map(("iface-id", "3F1C6A52-9E0B-4C1E-8D2B-6A7E5F4C3B2A"), ("attached-mac", "fa:16:3e:00:00:01"), ("vm-uuid", "x"));
        Assert.Equal(OvsEndpointConvention.OpenStack, endpoint.Convention);
        Assert.False(endpoint.IsMapped);
        Assert.Equal("3F1C6A52-9E0B-4C1E-8D2B-6A7E5F4C3B2A", endpoint.IfaceId);
        Assert.Equal("fa:16:3e:00:00:01", endpoint.AttachedMac);
    }

    [Theory]
    [InlineData("k8s-node-1")]              // OVN-Kubernetes management port: no underscore
    [InlineData("_pod")]
    [InlineData("ns_")]
    [InlineData("Default_Pod")]             // not Kubernetes names
    [InlineData("ns_pod_with_underscore")]
    [InlineData("br-int_patch")]            // a valid-looking split is still a namespace/pod; see the next test
    public void Iface_ids_that_are_not_namespace_underscore_pod_stay_unmapped_or_are_split_only_when_valid(string ifaceId)
    {
        var endpoint = Map(("iface-id", ifaceId));
        if (ifaceId == "br-int_patch")
        {
            Assert.Equal(("br-int", "patch"), (endpoint.PodNamespace, endpoint.PodName));
            return;
        }

        Assert.False(endpoint.IsMapped);
        Assert.Equal(OvsEndpointConvention.None, endpoint.Convention);
        Assert.Equal(ifaceId, endpoint.IfaceId);
    }

    [Fact]
    public void No_external_ids_or_unknown_keys_only_are_unmapped()
    {
        Assert.Same(OvsEndpoint.Unmapped, Map());
        Assert.Same(OvsEndpoint.Unmapped, Map(("container_id", "c1")));
    }

    [Fact]
    public void Half_of_a_pod_key_pair_does_not_map()
    {
        Assert.False(Map(("pod-name", "x")).IsMapped);
        Assert.False(Map(("pod_namespace", "x")).IsMapped);
    }
}
