using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowExporter.Tests.Kubernetes;

/// <summary>
/// A Kubernetes API server stand-in on 127.0.0.1 or a given address (Kestrel, HTTP/1.1): serves list bodies as given, and for each watch
/// request hands the test a <see cref="WatchSession"/> through which it writes events to a chunked stream, ends it,
/// or drops the connection. Faults (status codes, delays) can be queued per resource for lists and watches.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Paths = new()
    {
        ["/api/v1/pods"] = "pods",
        ["/api/v1/services"] = "services",
        ["/apis/apps/v1/replicasets"] = "replicasets",
        ["/apis/batch/v1/jobs"] = "jobs",
    };

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Resource> _resources = new();
    private readonly ConcurrentBag<WatchSession> _sessions = [];

    private FakeApiServer(WebApplication app)
    {
        _app = app;
        foreach (var name in Paths.Values)
        {
            _resources[name] = new Resource();
        }
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request as "resource?query", in arrival order.</summary>
    public ConcurrentQueue<(string Resource, IQueryCollection Query)> Requests { get; } = new();

    public static async Task<FakeApiServer> StartAsync(System.Net.IPAddress? listenAddress = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(listenAddress ?? System.Net.IPAddress.Loopback, 0));
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeApiServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    public void SetList(string resource, string body) => _resources[resource].ListBody = body;

    /// <summary>The next list of this resource answers with this instead.</summary>
    public void FailNextList(string resource, Func<HttpContext, Task> fault) => _resources[resource].ListFaults.Enqueue(fault);

    /// <summary>The next watch of this resource answers with this instead of a stream.</summary>
    public void FailNextWatch(string resource, Func<HttpContext, Task> fault) => _resources[resource].WatchFaults.Enqueue(fault);

    public int ListCount(string resource) => Requests.Count(r => r.Resource == resource && r.Query["watch"] != "true");

    /// <summary>Waits for the client's next watch request on this resource.</summary>
    public async Task<WatchSession> NextWatchAsync(string resource, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            return await _resources[resource].Watches.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no watch request on {resource} within the deadline");
        }
    }

    public static Func<HttpContext, Task> Status(int code, string reason, string message) => async context =>
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(StatusJson(code, reason, message));
    };

    public static Func<HttpContext, Task> Slow(TimeSpan delay, string body) => async context =>
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    };

    public static string StatusJson(int code, string reason, string message) =>
        $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message}}","reason":"{{reason}}","code":{{code}}}""";

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions)
        {
            session.Drop();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!Paths.TryGetValue(context.Request.Path.Value ?? string.Empty, out var name))
        {
            context.Response.StatusCode = 404;
            return;
        }

        Requests.Enqueue((name, context.Request.Query));
        var resource = _resources[name];
        if (context.Request.Query["watch"] != "true")
        {
            if (resource.ListFaults.TryDequeue(out var listFault))
            {
                await listFault(context);
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(resource.ListBody ?? throw new InvalidOperationException($"no list body for {name}"));
            return;
        }

        if (resource.WatchFaults.TryDequeue(out var watchFault))
        {
            await watchFault(context);
            return;
        }

        var session = new WatchSession(context.Request.Query);
        _sessions.Add(session);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();
        resource.Watches.Writer.TryWrite(session);
        try
        {
            await foreach (var command in session.Commands.Reader.ReadAllAsync(context.RequestAborted))
            {
                switch (command)
                {
                    case WatchSession.EndCommand:
                        return;
                    case WatchSession.DropCommand:
                        context.Abort();
                        return;
                    default:
                        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(command));
                        await context.Response.Body.FlushAsync();
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            session.Closed.TrySetResult();
        }
    }

    private sealed class Resource
    {
        public volatile string? ListBody;

        public ConcurrentQueue<Func<HttpContext, Task>> ListFaults { get; } = new();

        public ConcurrentQueue<Func<HttpContext, Task>> WatchFaults { get; } = new();

        public Channel<WatchSession> Watches { get; } = Channel.CreateUnbounded<WatchSession>();
    }
}

/// <summary>One open watch stream: what the test writes goes out as chunks of the response.</summary>
internal sealed class WatchSession
{
    internal const string EndCommand = "\u0000end";
    internal const string DropCommand = "\u0000drop";

    public WatchSession(IQueryCollection query) => Query = query;

    public IQueryCollection Query { get; }

    public string? ResourceVersion => Query["resourceVersion"];

    internal Channel<string> Commands { get; } = Channel.CreateUnbounded<string>();

    internal TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Writes one watch event line.</summary>
    public void Send(string eventJson) => Commands.Writer.TryWrite(eventJson.TrimEnd('\n') + "\n");

    /// <summary>Writes raw bytes (a partial line, say) without a newline.</summary>
    public void SendRaw(string text) => Commands.Writer.TryWrite(text);

    /// <summary>Ends the response cleanly (as the server does when timeoutSeconds is up).</summary>
    public void End() => Commands.Writer.TryWrite(EndCommand);

    /// <summary>Resets the connection mid-stream.</summary>
    public void Drop() => Commands.Writer.TryWrite(DropCommand);
}
