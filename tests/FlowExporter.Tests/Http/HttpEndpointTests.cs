using System.Net;
using FlowExporter.Configuration;
using FlowExporter.Hosting;
using FlowExporter.Http;
using FlowExporter.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FlowExporter.Tests.Http;

/// <summary>The real host on Kestrel, bound to a free loopback port.</summary>
public sealed class HttpEndpointTests : IAsyncLifetime
{
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private readonly HttpClient _client = new();

    public async Task InitializeAsync()
    {
        var options = ExporterOptions.FromConfiguration(
            ConfigLoader.Load(null, new Dictionary<string, string>(), new Dictionary<string, string?> { ["listen"] = "127.0.0.1:0", ["node"] = "test-node" }),
            "host");
        _app = ExporterProgram.BuildApp(options);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client.BaseAddress = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Metrics_default_to_prometheus_text_and_pass_promtool()
    {
        GC.Collect(); // the heap-after-collection gauge appears once there has been a collection
        using var response = await _client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("flowexporter_build_info{", body, StringComparison.Ordinal);
        Assert.Contains("process_working_set_bytes", body, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_heap_after_collection_bytes{generation=\"gen2\"}", body, StringComparison.Ordinal);
        Assert.Matches(new System.Text.RegularExpressions.Regex("^dotnet_gc_live_bytes_after_full_collection [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline), body);
        Assert.Matches(new System.Text.RegularExpressions.Regex("^dotnet_gc_full_collections [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline), body);
        var (exit, findings) = await Capture.ReplayCommandTests.PromtoolCheckAsync(body);
        Assert.True(exit == 0 && findings.Length == 0, findings);
    }

    [Fact]
    public async Task The_memory_kept_between_scrapes_is_exported()
    {
        // The first scrape of this small exporter fits in one segment; the next one reports that segment kept idle.
        var first = await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("flowexporter_exposition_idle_bytes 0\n", first, StringComparison.Ordinal);
        var second = await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains($"flowexporter_exposition_idle_bytes {ExpositionBufferPool.SegmentSize}\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_speak_openmetrics_when_the_scraper_asks_as_prometheus_does()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation(
            "Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        using var response = await _client.SendAsync(request);
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("# EOF\n", body, StringComparison.Ordinal);
        Assert.Equal(1, body.Split('\n').Count(l => l == "# EOF"));
        Assert.NotEmpty(Exposition.Parse(body));
    }

    [Fact]
    public async Task Health_readiness_and_landing_page()
    {
        Assert.Equal("ok\n", await _client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        Assert.Equal("ready\n", await _client.GetStringAsync(new Uri("/readyz", UriKind.Relative)));
        var landing = await _client.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("href=\"metrics\"", landing, StringComparison.Ordinal);
        Assert.Contains("test-node", landing, StringComparison.Ordinal);
    }
}
