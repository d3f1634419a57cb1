using FlowExporter.Probes;
using FlowExporter.Tests.Kubernetes;

namespace FlowExporter.Tests.Probes;

/// <summary>Peers from the Kubernetes source's own pod list and watch, through the real client and a fake API server.</summary>
public sealed class KubernetesPeersTests
{
    private const string Pods = """
        {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"900"},"items":[
        {"metadata":{"name":"flowexporter-aaaaa","namespace":"flowexporter","resourceVersion":"801","labels":{"app.kubernetes.io/name":"flowexporter"}},
         "spec":{"nodeName":"node-1","hostNetwork":true},"status":{"phase":"Running","hostIP":"192.0.2.1","hostIPs":[{"ip":"192.0.2.1"}],"podIP":"192.0.2.1","podIPs":[{"ip":"192.0.2.1"}]}},
        {"metadata":{"name":"flowexporter-bbbbb","namespace":"flowexporter","resourceVersion":"802","labels":{"app.kubernetes.io/name":"flowexporter"}},
         "spec":{"nodeName":"node-2","hostNetwork":true},"status":{"phase":"Running","hostIP":"192.0.2.2","hostIPs":[{"ip":"192.0.2.2"}],"podIP":"192.0.2.2","podIPs":[{"ip":"192.0.2.2"}]}},
        {"metadata":{"name":"flowexporter-ccccc","namespace":"flowexporter","resourceVersion":"803","labels":{"app.kubernetes.io/name":"flowexporter"}},
         "spec":{"nodeName":"node-3"},"status":{"phase":"Running","hostIP":"192.0.2.3","hostIPs":[{"ip":"192.0.2.3"}],"podIP":"10.244.3.7","podIPs":[{"ip":"10.244.3.7"}]}},
        {"metadata":{"name":"flowexporter-ddddd","namespace":"other","resourceVersion":"804","labels":{"app.kubernetes.io/name":"flowexporter"}},
         "spec":{"nodeName":"node-4"},"status":{"phase":"Running","hostIP":"192.0.2.4","podIP":"10.244.4.7"}},
        {"metadata":{"name":"web-1","namespace":"flowexporter","resourceVersion":"805","labels":{"app":"web"}},
         "spec":{"nodeName":"node-2"},"status":{"phase":"Running","hostIP":"192.0.2.2","podIP":"10.244.2.9"}},
        {"metadata":{"name":"flowexporter-eeeee","namespace":"flowexporter","resourceVersion":"806","labels":{"app.kubernetes.io/name":"flowexporter"}},
         "spec":{"nodeName":"node-5"},"status":{"phase":"Failed","hostIP":"192.0.2.5","podIP":"10.244.5.7"}}
        ]}
        """;

    [Fact]
    public async Task Exporter_pods_on_other_nodes_are_the_peers_and_follow_the_watch()
    {
        var selector = new PeerSelector("flowexporter", PeerSelector.Parse("k", PeerSelector.DefaultSelector));
        var peers = new KubernetesPeers(selector, "node-1", 9004, 100);
        await using var bed = await KubernetesTestBed.StartAsync(server => server.SetList("pods", Pods), podListeners: [peers]);

        await KubernetesTestBed.WaitUntilAsync(() => peers.Current.Count == 2, "two peers");
        Assert.Equal(new ExporterPeer("node-2", ["192.0.2.2"], ["192.0.2.2"], 9004), peers.Current[0]);
        Assert.Equal(new ExporterPeer("node-3", ["10.244.3.7"], ["192.0.2.3"], 9004), peers.Current[1]);
        Assert.Equal(
            ["node-2/Host/192.0.2.2", "node-3/Pod/10.244.3.7", "node-3/Host/192.0.2.3"],
            peers.Current.SelectMany(p => ProbeTarget.Of(p, new HashSet<ProbePath> { ProbePath.Pod, ProbePath.Host })).Select(t => $"{t.Node}/{t.Path}/{t.Address}"));

        var watch = await bed.Server.NextWatchAsync("pods");
        watch.Send("""{"type":"DELETED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"flowexporter-bbbbb","namespace":"flowexporter","resourceVersion":"950","labels":{"app.kubernetes.io/name":"flowexporter"}},"spec":{"nodeName":"node-2"},"status":{"phase":"Running","podIP":"192.0.2.2"}}}""");
        await KubernetesTestBed.WaitUntilAsync(() => peers.Current.Count == 1, "node-2 gone");
        Assert.Equal("node-3", peers.Current[0].Node);
    }

    [Fact]
    public void Matching_pods_beyond_max_peers_are_dropped_and_counted()
    {
        var selector = new PeerSelector(null, []);
        var peers = new KubernetesPeers(selector, "node-0", 9004, 2);
        peers.Replaced([.. Enumerable.Range(1, 5).Select(i => new k8s.Models.V1Pod
        {
            Metadata = new() { Name = $"fe-{i}", NamespaceProperty = "fe" },
            Spec = new() { NodeName = $"node-{i}" },
            Status = new() { Phase = "Running", PodIP = $"10.0.0.{i}" },
        })]);
        Assert.Equal(2, peers.Current.Count);
        Assert.Equal(3, peers.Dropped);
    }
}
