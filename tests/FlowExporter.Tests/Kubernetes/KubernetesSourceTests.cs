using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Tests.Kubernetes;

/// <summary>The real KubernetesClient against <see cref="FakeApiServer"/>, speaking the recorded API format.</summary>
public sealed class KubernetesSourceTests
{
    private static IpAddress Ip(string text) => IpAddress.Parse(text);

    private static Task Until(Func<bool> condition, string what) => KubernetesTestBed.WaitUntilAsync(condition, what);

    [Fact]
    public async Task Lists_everything_then_names_pods_nodes_services_and_workloads()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var source = bed.Source;
        await Until(() => source.Current.Find(Ip("10.96.0.10")) is not null && source.Current.Find(Ip("10.244.0.3"))?.WorkloadKind == "Deployment", "the lists are indexed");
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1");

        var index = source.Current;
        var coredns = index.Find(Ip("10.244.0.3"))!;
        Assert.Equal(("kube-system", "coredns-589f44dc88-4fpns", "v1.36-control-plane", "Deployment", "coredns", false),
            (coredns.Namespace, coredns.PodName, coredns.Node, coredns.WorkloadKind, coredns.Workload, coredns.HostNetwork));
        Assert.Equal("coredns-589f44dc88-lxdzt", index.Find(Ip("10.244.0.2"))!.PodName);

        // Six host-network pods (etcd, kindnet, kube-proxy, ...) share 172.18.0.3: it is the node's, none of theirs.
        var node = index.Find(Ip("172.18.0.3"))!;
        Assert.Equal(("", "", "v1.36-control-plane", "Node", "v1.36-control-plane", true),
            (node.Namespace, node.PodName, node.Node, node.WorkloadKind, node.Workload, node.HostNetwork));

        Assert.Equal(new ServiceRef("kube-system", "kube-dns"), index.FindService(Ip("10.96.0.10"))!.Service);
        Assert.Equal(new ServiceRef("shop", "web"), index.FindService(Ip("fd00:10:96::1234"))!.Service);
        Assert.Equal(3, index.Addresses.Count);
        Assert.Equal(3, index.Services.Count);

        // Every kind was listed once and then watched with bookmarks from the list's resourceVersion.
        var pods = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("554", pods.ResourceVersion);
        Assert.Equal("true", pods.Query["allowWatchBookmarks"]);
        Assert.Equal("true", pods.Query["watch"]);
        Assert.True(int.Parse(pods.Query["timeoutSeconds"]!) >= 300);
        Assert.Equal("560", (await bed.Server.NextWatchAsync("services")).ResourceVersion);
        Assert.Equal("561", (await bed.Server.NextWatchAsync("replicasets")).ResourceVersion);
        Assert.Equal("562", (await bed.Server.NextWatchAsync("jobs")).ResourceVersion);
        Assert.Equal(1, bed.Server.ListCount("pods"));
    }

    [Fact]
    public async Task Follows_added_modified_deleted_and_bookmark_events_and_resumes_where_it_left()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var source = bed.Source;
        var watch = await bed.Server.NextWatchAsync("pods");

        watch.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "coredns-589f44dc88-new", "600", "10.244.0.9", "fd00:10:244::9"));
        await Until(() => source.Current.Find(Ip("fd00:10:244::9"))?.PodName == "coredns-589f44dc88-new", "ADDED is indexed (both families)");
        Assert.Equal("Deployment", source.Current.Find(Ip("10.244.0.9"))!.WorkloadKind);

        watch.Send(KubernetesTestBed.PodEvent("MODIFIED", "coredns-589f44dc88-4fpns", "coredns-589f44dc88-new", "601", "10.244.0.10"));
        await Until(() => source.Current.Find(Ip("10.244.0.10"))?.PodName == "coredns-589f44dc88-new", "MODIFIED moves the pod to its new IP");
        Assert.Null(source.Current.Find(Ip("fd00:10:244::9")));

        watch.Send(KubernetesTestBed.PodEvent("DELETED", "coredns-589f44dc88-lxdzt", "coredns-589f44dc88-lxdzt", "602"));
        await Until(() => source.Current.Find(Ip("10.244.0.2"))?.Retained == true, "DELETED keeps the pod's labels as retained");
        Assert.Equal("coredns-589f44dc88-lxdzt", source.Current.Find(Ip("10.244.0.2"))!.PodName);

        watch.Send(KubernetesTestBed.Bookmark("Pod", "v1", "650"));
        watch.End();
        var next = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("650", next.ResourceVersion);
        Assert.Equal(1, bed.Server.ListCount("pods"));
        Assert.True(bed.Health.IsUp("kubernetes"));
    }

    [Fact]
    public async Task A_410_error_event_relists_and_the_index_follows_the_new_list()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var source = bed.Source;
        var watch = await bed.Server.NextWatchAsync("pods");
        await Until(() => source.Current.Find(Ip("10.244.0.3")) is not null, "the first list is indexed");

        bed.Server.SetList("pods", KubernetesTestBed.Fixture("podlist-kind-v1.36-default-job-pod.json"));
        watch.Send(KubernetesTestBed.GoneEvent("too old resource version: 554 (700)"));

        var next = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("636", next.ResourceVersion);
        Assert.Equal(2, bed.Server.ListCount("pods"));
        await Until(() => source.Current.Find(Ip("10.244.0.3"))?.Retained == true, "pods gone from the relist are retained");

        // The recorded Job pod has Failed: its IP is released, so it does not name 10.244.0.5.
        Assert.Null(source.Current.Find(Ip("10.244.0.5")));
        Assert.Equal("v1.36-control-plane", source.Current.Find(Ip("172.18.0.3"))!.Node);
        Assert.Contains("flowexporter_kubernetes_relists_total{kind=\"pods\"} 1", Exposition(source));
    }

    [Fact]
    public async Task An_http_410_on_the_watch_request_relists()
    {
        await using var bed = await KubernetesTestBed.StartAsync(server =>
            server.FailNextWatch("pods", FakeApiServer.Status(410, "Expired", "too old resource version")));
        var watch = await bed.Server.NextWatchAsync("pods");
        Assert.Equal(2, bed.Server.ListCount("pods"));
        Assert.Equal("554", watch.ResourceVersion);
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1");
    }

    [Fact]
    public async Task A_dropped_connection_reconnects_and_resumes_from_the_last_version_seen()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var source = bed.Source;
        var watch = await bed.Server.NextWatchAsync("pods");
        watch.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "web-1", "700", "10.244.0.20"));

        // A reset discards what the client has not read yet, so drop only once the event has been taken in.
        await Until(() => source.Current.Find(Ip("10.244.0.20"))?.PodName == "web-1", "the event before the drop is indexed");
        watch.SendRaw("""{"type":"ADDED","object":{"kind":"Pod","apiVers""");
        watch.Drop();

        var next = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("700", next.ResourceVersion);
        Assert.Equal(1, bed.Server.ListCount("pods"));
        Assert.True(await bed.ErrorsAsync("stream") + await bed.ErrorsAsync("error") >= 1, await bed.HealthTextAsync());

        next.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "web-2", "701", "10.244.0.21"));
        await Until(() => source.Current.Find(Ip("10.244.0.21"))?.PodName == "web-2", "events after the reconnect are indexed");
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1 again");
    }

    [Fact]
    public async Task Http_500s_keep_up_at_0_until_a_list_succeeds_after_backoff()
    {
        await using var bed = await KubernetesTestBed.StartAsync(server =>
        {
            for (var i = 0; i < 3; i++)
            {
                server.FailNextList("pods", FakeApiServer.Status(500, "InternalError", "etcdserver: request timed out"));
            }
        });

        await Until(() => bed.Server.ListCount("pods") >= 2, "a retry after the first 500");
        Assert.False(bed.Health.IsUp("kubernetes"));
        await Until(() => bed.Source.Current.Find(Ip("10.244.0.3")) is not null, "the fourth list succeeds");
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1");
        Assert.Equal(4, bed.Server.ListCount("pods"));
        Assert.Equal(3, await bed.ErrorsAsync("http_500"));
    }

    [Fact]
    public async Task A_500_on_the_watch_request_retries_the_watch_from_the_same_version_without_relisting()
    {
        await using var bed = await KubernetesTestBed.StartAsync(server =>
        {
            server.FailNextWatch("pods", FakeApiServer.Status(500, "InternalError", "etcdserver: leader changed"));
            server.FailNextWatch("pods", FakeApiServer.Status(503, "ServiceUnavailable", "apiserver is shutting down"));
        });
        var watch = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("554", watch.ResourceVersion);
        Assert.Equal(1, bed.Server.ListCount("pods"));
        Assert.Equal(1, await bed.ErrorsAsync("http_500"));
        Assert.Equal(1, await bed.ErrorsAsync("http_503"));
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1 again");
    }

    [Fact]
    public async Task A_slow_server_times_out_and_the_source_retries()
    {
        await using var bed = await KubernetesTestBed.StartAsync(
            server => server.FailNextList("pods", FakeApiServer.Slow(TimeSpan.FromSeconds(60), KubernetesTestBed.Fixture("podlist-kind-v1.36-kube-system.json"))),
            options => options with { RequestTimeout = TimeSpan.FromSeconds(2) }); // the retried list must finish within it, even on a loaded host

        await Until(() => bed.Source.Current.Find(Ip("10.244.0.3")) is not null, "the retried list is indexed");
        Assert.True(await bed.ErrorsAsync("timeout") == 1, await bed.HealthTextAsync());
        Assert.Equal(2, bed.Server.ListCount("pods"));
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1");
    }

    [Fact]
    public async Task A_stalled_watch_is_abandoned_after_its_deadline_and_reopened()
    {
        await using var bed = await KubernetesTestBed.StartAsync(
            tune: options => options with { WatchTimeout = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromMilliseconds(500) });
        var first = await bed.Server.NextWatchAsync("pods");
        Assert.InRange(int.Parse(first.Query["timeoutSeconds"]!), 1, 2);

        // The server never sends a byte nor ends the stream: the client gives up after timeoutSeconds + request timeout.
        var second = await bed.Server.NextWatchAsync("pods", TimeSpan.FromSeconds(10));
        Assert.Equal("554", second.ResourceVersion);
        Assert.True(await bed.ErrorsAsync("timeout") >= 1);
    }

    [Fact]
    public async Task An_unreachable_api_server_keeps_up_at_0()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var bed = await KubernetesTestBed.StartAsync(serverOverride: new Uri($"http://127.0.0.1:{closedPort}"));
        await Until(() => bed.ErrorsAsync("unreachable").Result >= 2, "two failed attempts");
        Assert.False(bed.Health.IsUp("kubernetes"));
        Assert.Same(EndpointIndex.Empty, bed.Source.Current);
    }

    [Fact]
    public async Task An_event_that_does_not_decode_is_counted_and_skipped()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var watch = await bed.Server.NextWatchAsync("pods");
        await Until(() => bed.Health.IsUp("kubernetes"), "up is 1");
        watch.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "web-2", "799", "10.244.0.29"));
        watch.Send("this is not a watch event");
        watch.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "web-3", "800", "10.244.0.30"));
        await Until(() => bed.Source.Current.Find(Ip("10.244.0.30"))?.PodName == "web-3", "the next event is indexed");
        Assert.Equal(1, await bed.ErrorsAsync("decode"));
        Assert.True(bed.Health.IsUp("kubernetes"));
        Assert.Equal(1, bed.Server.ListCount("pods"));
    }

    [Fact]
    public async Task An_event_without_metadata_is_skipped_not_replayed_forever()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var watch = await bed.Server.NextWatchAsync("pods");
        watch.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "web-4", "810", "10.244.0.40"));
        watch.Send("""{"type":"DELETED","object":{"kind":"Pod","apiVersion":"v1"}}""");
        watch.Send(KubernetesTestBed.PodEvent("ADDED", "coredns-589f44dc88-4fpns", "web-5", "811", "10.244.0.41"));
        await KubernetesTestBed.WaitUntilAsync(() => bed.Source.Current.Find(Ip("10.244.0.41"))?.PodName == "web-5", "the event after it is indexed");
        Assert.Equal("web-4", bed.Source.Current.Find(Ip("10.244.0.40"))?.PodName);
        Assert.Equal(1, await bed.ErrorsAsync("decode"));
        Assert.Equal(1, bed.Server.ListCount("pods"));
    }

    [Fact]
    public async Task A_deleted_pod_leaves_the_index_after_its_retention()
    {
        await using var bed = await KubernetesTestBed.StartAsync(tune: options => options with { Retention = TimeSpan.FromSeconds(2) }); // long enough to see it retained on a loaded host
        var watch = await bed.Server.NextWatchAsync("pods");
        await Until(() => bed.Source.Current.Find(Ip("10.244.0.2")) is not null, "the list is indexed");
        watch.Send(KubernetesTestBed.PodEvent("DELETED", "coredns-589f44dc88-lxdzt", "coredns-589f44dc88-lxdzt", "602"));
        await Until(() => bed.Source.Current.Find(Ip("10.244.0.2"))?.Retained == true, "the deleted pod is retained");
        await Until(() => bed.Source.Current.Find(Ip("10.244.0.2")) is null, "the retained pod expires without further events");
        Assert.Equal("coredns-589f44dc88-4fpns", bed.Source.Current.Find(Ip("10.244.0.3"))!.PodName);
    }

    [Fact]
    public async Task Resync_lists_again_when_a_watch_ends_after_the_resync_period()
    {
        await using var bed = await KubernetesTestBed.StartAsync(tune: options => options with { Resync = TimeSpan.FromMilliseconds(1) });
        var watch = await bed.Server.NextWatchAsync("pods");
        watch.End();
        var next = await bed.Server.NextWatchAsync("pods");
        Assert.True(bed.Server.ListCount("pods") == 2, await bed.HealthTextAsync());
        Assert.Equal("554", next.ResourceVersion);

        // A watch that ends before any event is a normal end (a quiet resource), not an error.
        Assert.Equal(0, await bed.ErrorsAsync("error"));
        Assert.True(bed.Health.IsUp("kubernetes"));
    }

    [Fact]
    public async Task Node_filter_lists_and_watches_only_the_nodes_pods()
    {
        await using var bed = await KubernetesTestBed.StartAsync(tune: options => options with { NodeFilter = "node-1" });
        var watch = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("spec.nodeName=node-1", watch.Query["fieldSelector"]);
        Assert.All(bed.Server.Requests.Where(r => r.Resource == "pods"), r => Assert.Equal("spec.nodeName=node-1", r.Query["fieldSelector"]));
        Assert.All(bed.Server.Requests.Where(r => r.Resource != "pods"), r => Assert.False(r.Query.ContainsKey("fieldSelector")));
    }

    [Fact]
    public async Task Replays_the_recorded_watch_stream()
    {
        await using var bed = await KubernetesTestBed.StartAsync(server =>
            server.SetList("pods", """{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"400"},"items":[]}"""));
        var watch = await bed.Server.NextWatchAsync("pods");
        Assert.Equal("400", watch.ResourceVersion);
        foreach (var line in KubernetesTestBed.Fixture("watch-pods-kind-v1.36.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            watch.Send(line);
        }

        await Until(() => Exposition(bed.Source).Contains("flowexporter_kubernetes_objects{kind=\"pods\"} 5\n"), "the five recorded pods are taken in");
        Assert.Equal(3, bed.Source.Current.Addresses.Count);
        var index = bed.Source.Current;
        Assert.Equal("coredns-589f44dc88-4fpns", index.Find(Ip("10.244.0.3"))!.PodName);
        Assert.Equal("coredns-589f44dc88-lxdzt", index.Find(Ip("10.244.0.2"))!.PodName);
        Assert.Equal("Node", index.Find(Ip("172.18.0.3"))!.WorkloadKind);

        // The recording stops mid-way, as a client sees a disconnect: the next watch resumes from the last event (481
        // was the highest, but resumption is from the last one received: 415).
        watch.Drop();
        Assert.Equal("415", (await bed.Server.NextWatchAsync("pods")).ResourceVersion);
    }

    private static string Exposition(FlowExporter.Kubernetes.KubernetesSource contributor)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        contributor.Write(new Correlator.Exposition.ExpositionWriter(buffer, Correlator.Exposition.ExpositionFormat.PrometheusText));
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
