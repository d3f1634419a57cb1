using System.Globalization;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace KubeApiStandIn;

/// <summary>
/// Answers list and watch requests as the API server does: lists with <c>metadata.resourceVersion</c>, <c>limit</c>
/// and <c>continue</c>, the <c>spec.nodeName</c> field selector on pods; watches as a chunked stream of JSON lines
/// (ADDED for objects newer than the requested resourceVersion, then BOOKMARK events when asked for) that the server
/// ends after <c>timeoutSeconds</c>.
/// </summary>
internal sealed class ApiEndpoints(ApiStore store, TimeSpan bookmarkInterval, TimeProvider time, TextWriter log)
{
    private static readonly TimeSpan DefaultWatchTimeout = TimeSpan.FromMinutes(30);

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var query = context.Request.Query;
        await log.WriteLineAsync($"{context.Request.Method} {path}{context.Request.QueryString}");
        var resource = store.Find(path);
        if (resource is null)
        {
            await WriteStatusAsync(context, 404, "NotFound", $"the server could not find the requested resource ({path})");
            return;
        }

        if (!TryNodeFilter(query["fieldSelector"], out var node))
        {
            await WriteStatusAsync(context, 400, "BadRequest", $"field label not supported: {query["fieldSelector"]}");
            return;
        }

        var items = resource.Items.Where(i => node is null || i.NodeName == node).ToList();
        if (IsTrue(query["watch"]))
        {
            await WatchAsync(context, resource, items, context.RequestAborted);
        }
        else
        {
            await ListAsync(context, resource, items);
        }
    }

    private static bool IsTrue(StringValues value) => value == "true" || value == "1";

    private static bool TryNodeFilter(string? selector, out string? node)
    {
        node = null;
        if (string.IsNullOrEmpty(selector))
        {
            return true;
        }

        const string Prefix = "spec.nodeName=";
        if (!selector.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        node = selector[Prefix.Length..];
        return true;
    }

    private async Task ListAsync(HttpContext context, ApiResource resource, List<ApiItem> items)
    {
        var offset = int.TryParse(context.Request.Query["continue"], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : 0;
        var limit = int.TryParse(context.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : int.MaxValue;
        var page = items.Skip(offset).Take(limit).ToList();
        var more = offset + page.Count < items.Count;
        var metadata = more
            ? $$"""{"resourceVersion":"{{store.ResourceVersion}}","continue":"{{offset + page.Count}}","remainingItemCount":{{items.Count - offset - page.Count}}}"""
            : $$"""{"resourceVersion":"{{store.ResourceVersion}}"}""";
        var body = $$"""{"kind":"{{resource.ListKind}}","apiVersion":"{{resource.ApiVersion}}","metadata":{{metadata}},"items":[{{string.Join(",", page.Select(i => i.Json))}}]}""";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    private async Task WatchAsync(HttpContext context, ApiResource resource, List<ApiItem> items, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var from = long.TryParse(query["resourceVersion"], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
        var timeout = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultWatchTimeout;

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(cancellationToken);
        foreach (var item in items.Where(i => i.ResourceVersion > from))
        {
            await WriteLineAsync(context, $$"""{"type":"ADDED","object":{{item.Json}}}""", cancellationToken);
        }

        using var ends = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, ends.Token);
        try
        {
            while (true)
            {
                await Task.Delay(bookmarkInterval, time, linked.Token);
                if (bookmarks)
                {
                    await WriteLineAsync(
                        context,
                        $$"""{"type":"BOOKMARK","object":{"kind":"{{resource.Kind}}","apiVersion":"{{resource.ApiVersion}}","metadata":{"resourceVersion":"{{store.ResourceVersion}}"}""" + "}}",
                        linked.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds ran out (a clean end of the stream) or the client went away.
        }
    }

    private static async Task WriteLineAsync(HttpContext context, string line, CancellationToken cancellationToken)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteStatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message}}","reason":"{{reason}}","code":{{code}}}""");
    }
}
