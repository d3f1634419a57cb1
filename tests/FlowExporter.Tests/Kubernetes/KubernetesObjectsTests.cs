using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using FlowExporter.Kubernetes;
using k8s;
using k8s.Models;

namespace FlowExporter.Tests.Kubernetes;

public sealed class KubernetesObjectsTests
{
    private static List<PodRecord> Pods(string fixture) =>
        [.. KubernetesJson.Deserialize<V1PodList>(KubernetesTestBed.Fixture(fixture)).Items.Select(KubernetesObjects.ToRecord)];

    [Fact]
    public void Keeps_the_fields_of_the_recorded_kube_system_pods()
    {
        var pods = Pods("podlist-kind-v1.36-kube-system.json");
        Assert.Equal(8, pods.Count);
        var coredns = pods.Single(p => p.Name == "coredns-589f44dc88-4fpns");
        Assert.Equal(
            ("kube-system", "v1.36-control-plane", false, true, new OwnerRef("ReplicaSet", "coredns-589f44dc88")),
            (coredns.Namespace, coredns.Node, coredns.HostNetwork, coredns.Live, coredns.Owner));
        Assert.Equal([IpAddress.Parse("10.244.0.3")], coredns.PodIps);
        Assert.Equal([IpAddress.Parse("172.18.0.3")], coredns.HostIps);
        Assert.Equal(6, pods.Count(p => p.HostNetwork && p.PodIps.SequenceEqual([IpAddress.Parse("172.18.0.3")])));
        Assert.Equal(new OwnerRef("Node", "v1.36-control-plane"), pods.Single(p => p.Name == "etcd-v1.36-control-plane").Owner);
    }

    [Fact]
    public void A_failed_job_pod_is_not_live()
    {
        var pod = Assert.Single(Pods("podlist-kind-v1.36-default-job-pod.json"));
        Assert.False(pod.Live);
        Assert.Equal(new OwnerRef("Job", "k8s-openapi-tests-create-job"), pod.Owner);
        Assert.Equal([IpAddress.Parse("10.244.0.5")], pod.PodIps);
    }

    [Fact]
    public void Reads_a_kubectl_list_and_an_old_server_without_pod_ips()
    {
        var kubectl = Pods("kubectl-get-pods-o-json-list.json");
        Assert.Equal(["t1", "t2"], kubectl.Select(p => p.Name));
        Assert.Null(kubectl[0].Owner);
        Assert.Equal([IpAddress.Parse("10.244.0.5")], kubectl[0].PodIps);

        var minikube = Assert.Single(Pods("podlist-minikube-default-csharp-mock.json"));
        Assert.Equal([IpAddress.Parse("172.17.0.5")], minikube.PodIps);
        Assert.Equal([IpAddress.Parse("192.168.188.42")], minikube.HostIps);
        Assert.Equal("ubuntu", minikube.Node);
    }

    [Fact]
    public void Services_keep_every_cluster_ip_and_headless_ones_none()
    {
        var services = KubernetesJson.Deserialize<V1ServiceList>(KubernetesTestBed.ServiceList).Items.Select(KubernetesObjects.ToRecord).ToList();
        Assert.Equal([IpAddress.Parse("10.96.12.34"), IpAddress.Parse("fd00:10:96::1234")], services.Single(s => s.Name == "web").ClusterIps);
        Assert.Empty(services.Single(s => s.Name == "db").ClusterIps);
    }

    [Fact]
    public void Owners_of_replicasets_and_jobs_are_kept()
    {
        var replicaSet = KubernetesJson.Deserialize<V1ReplicaSetList>(KubernetesTestBed.ReplicaSetList).Items.Select(KubernetesObjects.ToRecord).Single();
        Assert.Equal(new OwnedObject("kube-system", "coredns-589f44dc88", new OwnerRef("Deployment", "coredns")), replicaSet);
        var job = KubernetesJson.Deserialize<V1JobList>(KubernetesTestBed.JobList).Items.Select(KubernetesObjects.ToRecord).Single();
        Assert.Equal(new OwnedObject("ops", "backup-29001", new OwnerRef("CronJob", "backup")), job);
    }
}
