using FlowExporter.Configuration;
using FlowExporter.Hosting;
using FlowExporter.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Tests.Probes;

/// <summary>The probes in the real host: rounds run on the clock, scrapes only read the cached results.</summary>
public sealed class ProbeHostTests
{
    [Fact]
    public async Task Scrapes_read_cached_results_and_never_probe()
    {
        await using var peer = HealthServer.Start();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var app = Build(new Dictionary<string, string?>
        {
            ["probes:enabled"] = "true",
            ["probes:interval"] = "5s",
            ["probes:jitter"] = "0s",
            ["probes:peers:0:name"] = "node-2",
            ["probes:peers:0:host"] = "127.0.0.1",
            ["probes:peers:0:port"] = peer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, time);
        await using var _ = app;
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        // The first round runs at once (no jitter); the next only when the clock reaches the interval.
        await WaitUntilAsync(async () => Count(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))) == 1);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, Count(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))));
        }

        Assert.Equal(1, peer.Requests);

        time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(async () => Count(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))) == 2);
        Assert.Equal(2, peer.Requests);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_exposition_with_probes_passes_promtool()
    {
        await using var peer = HealthServer.Start();
        var app = Build(new Dictionary<string, string?>
        {
            ["probes:enabled"] = "true",
            ["probes:jitter"] = "0s",
            ["probes:peers:0:name"] = "node-2",
            ["probes:peers:0:host"] = "127.0.0.1",
            ["probes:peers:0:pod"] = "localhost",
            ["probes:peers:0:port"] = peer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, TimeProvider.System);
        await using var _ = app;
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        string body = string.Empty;
        await WaitUntilAsync(async () => Count(body = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))) >= 1);

        var (exit, findings) = await Capture.ReplayCommandTests.PromtoolCheckAsync(body);
        Assert.True(exit == 0 && findings.Length == 0, findings);
        await app.StopAsync();
    }

    private static WebApplication Build(Dictionary<string, string?> flags, TimeProvider time)
    {
        flags["listen"] = "127.0.0.1:0";
        flags["node"] = "node-1";
        var options = ExporterOptions.FromConfiguration(ConfigLoader.Load(null, new Dictionary<string, string>(), flags), "host");
        return ExporterProgram.BuildApp(options, services => services.AddSingleton(time));
    }

    private static double Count(string metrics) =>
        Exposition.Parse(metrics).Named("network_probe_duration_seconds_count").Where(s => s.Label("path") == "host").Sum(s => s.Value);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
