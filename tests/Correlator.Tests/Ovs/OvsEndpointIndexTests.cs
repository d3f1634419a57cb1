using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsEndpointIndexTests
{
    [Fact]
    public void Ports_whose_external_ids_name_a_pod_and_its_ip_become_local_endpoints()
    {
        var snapshot = OvsVsctlOutput.Parse(OvsFixtures.Bytes("lab-vsctl-bridge-port-interface.json"));
        var index = OvsEndpointIndex.Build(snapshot, "node-7");

        var kubeOvn = index.Find(IpAddress.Parse("10.99.2.2"));
        Assert.NotNull(kubeOvn);
        Assert.Equal(("cache", "redis-0", "node-7", EndpointSource.Ovs), (kubeOvn.Namespace, kubeOvn.PodName, kubeOvn.Node, kubeOvn.Source));
        Assert.NotEmpty(kubeOvn.Interface);

        var antrea = index.Find(IpAddress.Parse("10.99.2.3"));
        Assert.NotNull(antrea);
        Assert.Equal(("backend", "api-5c6b7-xyz12"), (antrea.Namespace, antrea.PodName));
    }

    [Fact]
    public void An_empty_snapshot_is_an_empty_index() =>
        Assert.Equal(0, OvsEndpointIndex.Build(OvsSnapshot.Empty, "n").Count);
}
