using System.Text;
using FlowExporter.Sources;

namespace FlowExporter.Http;

/// <summary>The HTTP surface: <c>/metrics</c>, a landing page, <c>/healthz</c> and <c>/readyz</c>.</summary>
public static class ExporterEndpoints
{
    public static void MapExporterEndpoints(this IEndpointRouteBuilder endpoints, string node)
    {
        endpoints.MapGet("/metrics", async (HttpContext context, MetricsExposition exposition, ExpositionBufferPool pool) =>
        {
            var format = MetricsExposition.Negotiate(context.Request.Headers.Accept.ToString());
            using var buffer = new SegmentedBuffer(pool);
            await exposition.RenderAsync(buffer, format, context.RequestAborted).ConfigureAwait(false);
            context.Response.ContentType = MetricsExposition.ContentType(format);
            context.Response.ContentLength = buffer.Length;
            await buffer.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });

        endpoints.MapGet("/healthz", () => Results.Text("ok\n", "text/plain; charset=utf-8"));

        endpoints.MapGet("/readyz", (Readiness readiness) =>
        {
            var pending = readiness.Pending();
            return pending.Count == 0
                ? Results.Text("ready\n", "text/plain; charset=utf-8")
                : Results.Text(NotReadyBody(pending), "text/plain; charset=utf-8", Encoding.UTF8, StatusCodes.Status503ServiceUnavailable);
        });

        endpoints.MapGet("/", () => Results.Content(LandingPage(node), "text/html; charset=utf-8"));
    }

    /// <summary>One line per source not ready, naming it and why: <c>not ready: snmp: tor-1 (timeout)</c>.</summary>
    private static string NotReadyBody(IReadOnlyList<NotReadySource> pending)
    {
        var body = new StringBuilder();
        foreach (var source in pending)
        {
            body.Append("not ready: ").Append(source.Describe()).Append('\n');
        }

        return body.ToString();
    }

    private static string LandingPage(string node)
    {
        var encoded = System.Net.WebUtility.HtmlEncode(node);
        return $"""
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>FlowExporter</title></head>
            <body>
            <h1>FlowExporter</h1>
            <p>Node <b>{encoded}</b>: connection bytes from packet capture, Open vSwitch ports, switch ports and endpoint metadata.</p>
            <ul>
            <li><a href="metrics">/metrics</a> (Prometheus text or OpenMetrics)</li>
            <li><a href="healthz">/healthz</a> (process alive)</li>
            <li><a href="readyz">/readyz</a> (every source collected once)</li>
            </ul>
            </body></html>
            """;
    }
}
