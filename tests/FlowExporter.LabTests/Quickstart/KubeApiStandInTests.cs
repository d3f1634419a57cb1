using System.Net;
using System.Net.Sockets;
using FlowExporter.LabTests.Support;
using k8s;
using k8s.Models;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>tools/KubeApiStandIn as the lab runs it, read by the real Kubernetes client through the kubeconfig it writes.</summary>
public sealed class KubeApiStandInTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-standin-").FullName;
    private BackgroundProcess? _standIn;
    private k8s.Kubernetes? _client;

    public async Task InitializeAsync()
    {
        var objects = Path.Combine(_directory, "cluster.json");
        await File.WriteAllTextAsync(objects, """
            {
              "pods": [
                { "namespace": "shop", "name": "web-0", "node": "lab-node", "hostIP": "10.99.255.2", "ips": ["10.99.0.11"], "owner": { "kind": "ReplicaSet", "name": "web-6b7f9c" } },
                { "namespace": "shop", "name": "db-0", "node": "lab-node", "hostIP": "10.99.255.2", "ips": ["10.99.0.12", "fd00::12"], "owner": { "kind": "StatefulSet", "name": "db" } },
                { "namespace": "other", "name": "far-0", "node": "node-2", "hostIP": "10.99.255.6", "ips": ["10.99.1.5"], "owner": null }
              ],
              "replicaSets": [ { "namespace": "shop", "name": "web-6b7f9c", "owner": { "kind": "Deployment", "name": "web" } } ],
              "jobs": [],
              "services": [ { "namespace": "shop", "name": "web", "clusterIP": "10.96.0.10", "port": 5201 } ]
            }
            """);
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        _standIn = BackgroundProcess.Start(
            null,
            Path.Combine(AppContext.BaseDirectory, "kube-api-standin"),
            ["--objects", objects, "--listen", $"127.0.0.1:{FreePort()}", "--kubeconfig-out", kubeconfig, "--bookmark-interval", "0.5"]);
        await _standIn.WaitForOutputAsync("kube-api-standin: serving 3 pods", TimeSpan.FromSeconds(30));
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_standIn is not null)
        {
            await _standIn.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Lists_pods_with_their_addresses_owners_and_a_resource_version_filtered_by_node_and_paged()
    {
        var all = await _client!.CoreV1.ListPodForAllNamespacesAsync();
        Assert.Equal(["web-0", "db-0", "far-0"], all.Items.Select(p => p.Metadata.Name));
        Assert.Equal("105", all.Metadata.ResourceVersion);

        var local = await _client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=lab-node");
        Assert.Equal(["web-0", "db-0"], local.Items.Select(p => p.Metadata.Name));
        var db = local.Items[1];
        Assert.Equal("shop", db.Metadata.NamespaceProperty);
        Assert.Equal(["10.99.0.12", "fd00::12"], db.Status.PodIPs.Select(p => p.Ip));
        Assert.Equal("10.99.0.12", db.Status.PodIP);
        Assert.Equal("Running", db.Status.Phase);
        var owner = Assert.Single(db.Metadata.OwnerReferences);
        Assert.Equal(("apps/v1", "StatefulSet", "db", true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Controller == true));

        var first = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2);
        Assert.Equal(2, first.Items.Count);
        Assert.Equal(1, first.Metadata.RemainingItemCount);
        var rest = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty);
        Assert.Equal("far-0", Assert.Single(rest.Items).Metadata.Name);
        Assert.Null(rest.Metadata.ContinueProperty);

        var replicaSet = Assert.Single((await _client.AppsV1.ListReplicaSetForAllNamespacesAsync()).Items);
        Assert.Equal(("Deployment", "web"), (replicaSet.Metadata.OwnerReferences[0].Kind, replicaSet.Metadata.OwnerReferences[0].Name));
        var service = Assert.Single((await _client.CoreV1.ListServiceForAllNamespacesAsync()).Items);
        Assert.Equal("10.96.0.10", service.Spec.ClusterIP);
    }

    [Fact]
    public async Task A_watch_from_the_list_resource_version_carries_bookmarks_and_ends_after_its_timeout()
    {
        var list = await _client!.CoreV1.ListPodForAllNamespacesAsync();
        var events = new List<(WatchEventType Type, V1Pod Pod)>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
#pragma warning disable CS0618 // the task-based WatchAsync, as the exporter's watcher uses it
        var watch = _client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
            resourceVersion: list.Metadata.ResourceVersion, allowWatchBookmarks: true, timeoutSeconds: 3, watch: true, cancellationToken: cts.Token);
        await foreach (var (type, pod) in watch.WatchAsync<V1Pod, V1PodList>(cancellationToken: cts.Token))
#pragma warning restore CS0618
        {
            events.Add((type, pod));
        }

        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal((WatchEventType.Bookmark, "105"), (e.Type, e.Pod.Metadata.ResourceVersion)));
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15));

        // From resourceVersion 0 a watch starts with every object as ADDED, as the API server does.
        var added = new List<string>();
        using var cts2 = new CancellationTokenSource(TimeSpan.FromSeconds(20));
#pragma warning disable CS0618
        var fromZero = _client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
            resourceVersion: "0", fieldSelector: "spec.nodeName=lab-node", timeoutSeconds: 1, watch: true, cancellationToken: cts2.Token);
        await foreach (var (type, pod) in fromZero.WatchAsync<V1Pod, V1PodList>(cancellationToken: cts2.Token))
#pragma warning restore CS0618
        {
            added.Add($"{type} {pod.Metadata.Name}");
        }

        Assert.Equal(["Added web-0", "Added db-0"], added);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
