using System.Net;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Hosting;
using FlowExporter.Sources;
using FlowExporter.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FlowExporter.Tests.Http;

/// <summary>A contributor that throws half-way through its families is left out of that scrape; the page is intact.</summary>
public sealed class ScrapeIsolationTests
{
    private static readonly MetricFamily Partial = new("test_partial_family", MetricType.Gauge, "Written before the contributor throws.");
    private static readonly MetricFamily Healthy = new("test_healthy_family", MetricType.Gauge, "Written by a contributor that works.");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_throwing_contributor_is_rolled_back_counted_and_the_rest_served(bool openMetrics)
    {
        var broken = new Broken();
        await using var app = ExporterProgram.BuildApp(
            ExporterOptions.FromConfiguration(
                ConfigLoader.Load(null, new Dictionary<string, string>(), new Dictionary<string, string?> { ["listen"] = "127.0.0.1:0", ["node"] = "test-node" }),
                "host"),
            services =>
            {
                services.AddSingleton<IMetricsContributor>(broken);
                services.AddSingleton<IMetricsContributor>(new Working());
            });
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
            for (var scrape = 1; scrape <= 2; scrape++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
                if (openMetrics)
                {
                    request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0");
                }

                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadAsStringAsync();

                // Nothing of what the broken contributor wrote before it threw (not even its HELP line) is on the page.
                Assert.DoesNotContain("test_partial_family", body, StringComparison.Ordinal);
                var samples = Exposition.Parse(body);
                Assert.Equal(42, Assert.Single(samples.Named("test_healthy_family")).Value);
                Assert.Contains(samples.Named("flowexporter_build_info"), _ => true);
                Assert.Equal(0, Assert.Single(samples.Named("flowexporter_scrape_collector_success"), s => s.Has(("collector", "broken"))).Value);
                Assert.Equal(1, Assert.Single(samples.Named("flowexporter_scrape_collector_success"), s => s.Has(("collector", "working"))).Value);
                Assert.Equal(scrape, Assert.Single(samples.Named("flowexporter_scrape_collector_errors_total"), s => s.Has(("collector", "broken"))).Value);
                Assert.Equal(0, Assert.Single(samples.Named("flowexporter_scrape_collector_errors_total"), s => s.Has(("collector", "working"))).Value);
                if (openMetrics)
                {
                    Assert.EndsWith("# EOF\n", body, StringComparison.Ordinal);
                    Assert.Equal(1, body.Split('\n').Count(l => l == "# EOF"));
                }
                else
                {
                    var (exit, findings) = await Capture.ReplayCommandTests.PromtoolCheckAsync(body);
                    Assert.True(exit == 0 && findings.Length == 0, findings);
                }
            }

            Assert.Equal(2, broken.Calls);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>Writes a family and most of a sample (more than a segment, so the rewind crosses segments), then throws.</summary>
    private sealed class Broken : IMetricsContributor
    {
        public int Calls;

        public string CollectorName => "broken";

        public void Write(ExpositionWriter writer)
        {
            Interlocked.Increment(ref Calls);
            writer.Family(Partial);
            for (var i = 0; i < 5000; i++)
            {
                writer.BeginSample(Partial);
                writer.Label("i"u8, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                writer.Value(i);
            }

            writer.BeginSample(Partial);
            writer.Label("half"u8, "written");
            throw new InvalidOperationException("a bug in a contributor");
        }
    }

    private sealed class Working : IMetricsContributor
    {
        public string CollectorName => "working";

        public void Write(ExpositionWriter writer)
        {
            writer.Family(Healthy);
            writer.BeginSample(Healthy);
            writer.Value(42L);
        }
    }
}
