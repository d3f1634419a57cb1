using System.Text;
using System.Text.Json.Nodes;
using FlowExporter.Kubernetes;
using FlowExporter.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.Tests.Kubernetes;

/// <summary>A <see cref="FakeApiServer"/> seeded with the recorded kind payloads, and a real KubernetesSource pointed at it through a kubeconfig file.</summary>
internal sealed class KubernetesTestBed : IAsyncDisposable
{
    public const string FixtureFolder = "fixtures/k8s";

    private readonly string _kubeconfig;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();

    private KubernetesTestBed(FakeApiServer server, string kubeconfig)
    {
        Server = server;
        _kubeconfig = kubeconfig;
        Health = new SourceHealth(Metrics.WithCustomRegistry(_registry));
    }

    public FakeApiServer Server { get; }

    public SourceHealth Health { get; }

    public KubernetesSource Source { get; private set; } = null!;

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, FixtureFolder, name));

    public static async Task<KubernetesTestBed> StartAsync(Action<FakeApiServer>? arrange = null, Func<KubernetesOptions, KubernetesOptions>? tune = null, Uri? serverOverride = null, IEnumerable<IPodListener>? podListeners = null)
    {
        var server = await FakeApiServer.StartAsync();
        server.SetList("pods", Fixture("podlist-kind-v1.36-kube-system.json"));
        server.SetList("services", ServiceList);
        server.SetList("replicasets", ReplicaSetList);
        server.SetList("jobs", JobList);
        arrange?.Invoke(server);

        var kubeconfig = Path.Combine(Path.GetTempPath(), $"flowexporter-kubeconfig-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {(serverOverride ?? server.BaseAddress).ToString().TrimEnd('/')}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
            current-context: fake
            users:
            - name: fake
              user:
                token: not-a-real-token
            """);

        var bed = new KubernetesTestBed(server, kubeconfig);
        var options = new KubernetesOptions
        {
            Enabled = true,
            Kubeconfig = kubeconfig,
            PublishInterval = TimeSpan.FromMilliseconds(20),
            BackoffInitial = TimeSpan.FromMilliseconds(50),
            BackoffMax = TimeSpan.FromMilliseconds(200),
            RequestTimeout = TimeSpan.FromSeconds(5), // generous: an exact count of errors must not gain a timeout on a loaded host
            Retention = TimeSpan.FromMinutes(2),
        };
        options = tune?.Invoke(options) ?? options;
        var client = new k8s.Kubernetes(KubernetesServiceCollectionExtensions.BuildClientConfiguration(options));
        bed.Source = new KubernetesSource(client, options, bed.Health, TimeProvider.System, NullLogger<KubernetesSource>.Instance, podListeners);
        await bed.Source.StartAsync(CancellationToken.None);
        return bed;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    public async Task<string> HealthTextAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public async Task<double> ErrorsAsync(string reason)
    {
        var prefix = $"flowexporter_source_errors_total{{source=\"kubernetes\",reason=\"{reason}\"}} ";
        var line = (await HealthTextAsync()).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A watch event line: a pod from the recorded list, renamed and given new IPs and resourceVersion.</summary>
    public static string PodEvent(string type, string fromPod, string name, string resourceVersion, params string[] podIps)
    {
        var list = JsonNode.Parse(Fixture("podlist-kind-v1.36-kube-system.json"))!;
        var pod = list["items"]!.AsArray().First(p => (string?)p!["metadata"]!["name"] == fromPod)!.DeepClone();
        pod["kind"] = "Pod";
        pod["apiVersion"] = "v1";
        pod["metadata"]!["name"] = name;
        pod["metadata"]!["resourceVersion"] = resourceVersion;
        if (podIps.Length > 0)
        {
            pod["status"]!["podIP"] = podIps[0];
            pod["status"]!["podIPs"] = new JsonArray([.. podIps.Select(ip => (JsonNode)new JsonObject { ["ip"] = ip })]);
        }

        return new JsonObject { ["type"] = type, ["object"] = pod }.ToJsonString();
    }

    public static string Bookmark(string kind, string apiVersion, string resourceVersion) =>
        "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"" + kind + "\",\"apiVersion\":\"" + apiVersion +
        "\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion + "\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}";

    public static string GoneEvent(string message) =>
        "{\"type\":\"ERROR\",\"object\":" + FakeApiServer.StatusJson(410, "Expired", message) + "}";

    public const string ServiceList = """
        {"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"560"},"items":[
        {"metadata":{"name":"kube-dns","namespace":"kube-system","uid":"4d1d7c5a-0c0e-4d4b-9d59-0f5e0a0b7a11","resourceVersion":"238","creationTimestamp":"2026-06-15T04:14:40Z","labels":{"k8s-app":"kube-dns"}},
         "spec":{"ports":[{"name":"dns","protocol":"UDP","port":53,"targetPort":53}],"selector":{"k8s-app":"kube-dns"},"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"type":"ClusterIP","sessionAffinity":"None","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","internalTrafficPolicy":"Cluster"},"status":{"loadBalancer":{}}},
        {"metadata":{"name":"web","namespace":"shop","uid":"9e3f1b0a-3a55-4f7b-8f53-2b6c1c7d9e01","resourceVersion":"541","creationTimestamp":"2026-06-15T04:20:00Z"},
         "spec":{"ports":[{"protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"web"},"clusterIP":"10.96.12.34","clusterIPs":["10.96.12.34","fd00:10:96::1234"],"type":"ClusterIP","ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack"},"status":{"loadBalancer":{}}},
        {"metadata":{"name":"db","namespace":"shop","uid":"0b7d3c2e-7f1a-4c44-a0a3-5bd2e9b8f602","resourceVersion":"542","creationTimestamp":"2026-06-15T04:20:00Z"},
         "spec":{"ports":[{"protocol":"TCP","port":5432}],"selector":{"app":"db"},"clusterIP":"None","clusterIPs":["None"],"type":"ClusterIP"},"status":{"loadBalancer":{}}}
        ]}
        """;

    public const string ReplicaSetList = """
        {"kind":"ReplicaSetList","apiVersion":"apps/v1","metadata":{"resourceVersion":"561"},"items":[
        {"metadata":{"name":"coredns-589f44dc88","namespace":"kube-system","uid":"57cc966c-798b-4b89-9fbe-543ed85b5981","resourceVersion":"480","generation":1,"creationTimestamp":"2026-06-15T04:14:53Z","labels":{"k8s-app":"kube-dns","pod-template-hash":"589f44dc88"},
          "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"coredns","uid":"1b2a0f4e-6a8e-4a1c-9f64-1b1f6f0e8c11","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"replicas":2,"selector":{"matchLabels":{"k8s-app":"kube-dns","pod-template-hash":"589f44dc88"}},"template":{"metadata":{"labels":{"k8s-app":"kube-dns"}},"spec":{"containers":[{"name":"coredns","image":"registry.k8s.io/coredns/coredns:v1.12.1"}]}}},
         "status":{"replicas":2,"fullyLabeledReplicas":2,"readyReplicas":2,"availableReplicas":2,"observedGeneration":1}}
        ]}
        """;

    public const string JobList = """
        {"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"562"},"items":[
        {"metadata":{"name":"backup-29001","namespace":"ops","uid":"5f0e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f","resourceVersion":"500","creationTimestamp":"2026-06-15T05:00:00Z",
          "ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"backup","uid":"6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"parallelism":1,"completions":1,"backoffLimit":6,"template":{"spec":{"containers":[{"name":"backup","image":"busybox"}],"restartPolicy":"Never"}}},
         "status":{"active":1,"startTime":"2026-06-15T05:00:00Z"}}
        ]}
        """;

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Source.StopAsync(stop.Token);
        Source.Dispose();
        await Server.DisposeAsync();
        File.Delete(_kubeconfig);
    }
}
