using System.Net;
using KubeApiStandIn;

// A Kubernetes API server stand-in for the lab: serves the lab's pods, owners and services (list and watch, in the
// real API format) on a loopback address, and writes a kubeconfig that points at it.
//   kube-api-standin --objects FILE --listen 127.0.0.1:16443 --kubeconfig-out FILE [--bookmark-interval SECONDS]
var options = StandInOptions.Parse(args);
if (options is null)
{
    await Console.Error.WriteLineAsync("usage: kube-api-standin --objects FILE --listen ADDRESS:PORT --kubeconfig-out FILE [--bookmark-interval SECONDS]");
    return 2;
}

LabObjects objects;
try
{
    objects = LabObjects.Load(options.ObjectsFile);
}
catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException)
{
    await Console.Error.WriteLineAsync($"kube-api-standin: {options.ObjectsFile}: {e.Message}");
    return 2;
}

var store = ApiStore.From(objects, TimeProvider.System.GetUtcNow().UtcDateTime);
// No configuration file watching: a file watcher per process can exhaust inotify instances on a busy machine, and the
// stand-in reads no configuration files anyway.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.WebHost.UseKestrel(k => k.Listen(options.Listen));
builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
builder.Logging.ClearProviders();
var app = builder.Build();
var endpoints = new ApiEndpoints(store, options.BookmarkInterval, TimeProvider.System, TextWriter.Synchronized(Console.Out));
app.Run(endpoints.HandleAsync);
await app.StartAsync();
await File.WriteAllTextAsync(options.KubeconfigOut, Kubeconfig.For(options.Listen));
Console.WriteLine(
    $"kube-api-standin: serving {objects.Pods.Count} pods, {objects.ReplicaSets.Count} replicasets, {objects.Jobs.Count} jobs, " +
    $"{objects.Services.Count} services at http://{options.Listen} (resourceVersion {store.ResourceVersion}); kubeconfig {options.KubeconfigOut}");
await app.WaitForShutdownAsync();
return 0;

/// <summary>Command line of the stand-in.</summary>
internal sealed record StandInOptions(string ObjectsFile, IPEndPoint Listen, string KubeconfigOut, TimeSpan BookmarkInterval)
{
    public static StandInOptions? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        if (args.Length % 2 != 0
            || !values.TryGetValue("--objects", out var objects)
            || !values.TryGetValue("--listen", out var listen) || !IPEndPoint.TryParse(listen, out var endpoint)
            || !values.TryGetValue("--kubeconfig-out", out var kubeconfig))
        {
            return null;
        }

        var bookmark = values.TryGetValue("--bookmark-interval", out var text) && double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(10);
        return new StandInOptions(objects, endpoint, kubeconfig, bookmark);
    }
}
