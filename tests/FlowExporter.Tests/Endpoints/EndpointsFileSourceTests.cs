using System.Text;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Net;
using FlowExporter.Endpoints;
using FlowExporter.Sources;
using FlowExporter.Tests.Kubernetes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace FlowExporter.Tests.Endpoints;

public sealed class EndpointsFileSourceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("flowexporter-endpoints-").FullName;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly SourceHealth _health;

    public EndpointsFileSourceTests() => _health = new SourceHealth(Metrics.WithCustomRegistry(_registry));

    private string FilePath => Path.Combine(_folder, "endpoints.yaml");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static IConfiguration Config(string? path) =>
        new ConfigurationBuilder().AddInMemoryCollection([new KeyValuePair<string, string?>("endpoints_file", path)]).Build();

    private EndpointsFileSource NewSource(EndpointsFileOptions options) =>
        new(options, _health, TimeProvider.System, NullLogger<EndpointsFileSource>.Instance);

    private async Task<double> ErrorsAsync(string reason)
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        var prefix = $"flowexporter_source_errors_total{{source=\"endpoints_file\",reason=\"{reason}\"}} ";
        var line = Encoding.UTF8.GetString(stream.ToArray()).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Replaces the file the way editors and config management do: write aside, then rename over it.</summary>
    private void Replace(string content)
    {
        var temp = FilePath + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, FilePath, overwrite: true);
    }

    [Fact]
    public void No_key_means_off_and_a_missing_file_or_bad_entry_stops_the_start()
    {
        Assert.False(EndpointsFileOptions.FromConfiguration(Config(null)).Enabled);
        Assert.False(EndpointsFileOptions.FromConfiguration(Config("")).Enabled);

        var missing = Assert.Throws<ConfigException>(() => EndpointsFileOptions.FromConfiguration(Config(FilePath)));
        Assert.Equal($"config: endpoints_file: file '{FilePath}' does not exist", missing.Message);

        File.WriteAllText(FilePath, "- ip: 10.0.0.1\n- ip: 10.0.0.300\n");
        var bad = Assert.Throws<ConfigException>(() => EndpointsFileOptions.FromConfiguration(Config(FilePath)));
        Assert.Equal("config: endpoints_file: entry 1: ip: '10.0.0.300' is not an IPv4 or IPv6 address", bad.Message);
    }

    [Fact]
    public async Task Reloads_on_change_and_keeps_the_last_good_content_when_a_reload_is_broken()
    {
        File.WriteAllText(FilePath, "- { ip: 10.0.0.1, name: first }\n");
        var options = EndpointsFileOptions.FromConfiguration(Config(FilePath)) with
        {
            CheckInterval = TimeSpan.FromSeconds(30),
            SettleDelay = TimeSpan.FromMilliseconds(20),
        };
        using var source = NewSource(options);
        Assert.Equal("first", source.Current.Find(IpAddress.Parse("10.0.0.1"))!.PodName);
        Assert.True(_health.IsUp(EndpointsFileSource.SourceName));
        await source.StartAsync(CancellationToken.None);
        try
        {
            Replace("- { ip: 10.0.0.1, name: second }\n- { cidr: 10.9.0.0/16, name: lab }\n");
            await KubernetesTestBed.WaitUntilAsync(() => source.Current.Find(IpAddress.Parse("10.0.0.1"))?.PodName == "second", "the change is picked up");
            Assert.Equal("lab", source.Current.Find(IpAddress.Parse("10.9.1.1"))!.PodName);
            var good = source.Current;

            Replace("- { ip: 10.0.0.1, name: third }\n- { ip: not-an-ip }\n");
            await KubernetesTestBed.WaitUntilAsync(() => !_health.IsUp(EndpointsFileSource.SourceName), "the broken file sets up to 0");
            Assert.Same(good, source.Current);
            Assert.True(await ErrorsAsync("invalid") >= 1);

            Replace("- { ip: 10.0.0.1, name: fourth }\n");
            await KubernetesTestBed.WaitUntilAsync(() => source.Current.Find(IpAddress.Parse("10.0.0.1"))?.PodName == "fourth", "the fixed file is picked up");
            Assert.True(_health.IsUp(EndpointsFileSource.SourceName));
            Assert.Null(source.Current.Find(IpAddress.Parse("10.9.1.1")));

            File.Delete(FilePath);
            await KubernetesTestBed.WaitUntilAsync(() => !_health.IsUp(EndpointsFileSource.SourceName), "a deleted file sets up to 0");
            Assert.Equal("fourth", source.Current.Find(IpAddress.Parse("10.0.0.1"))!.PodName);
            Assert.True(await ErrorsAsync("missing") >= 1);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_periodic_check_finds_changes_without_notifications()
    {
        File.WriteAllText(FilePath, "- { ip: 10.0.0.1, name: first }\n");
        var options = EndpointsFileOptions.FromConfiguration(Config(FilePath)) with
        {
            WatchForChanges = false,
            CheckInterval = TimeSpan.FromMilliseconds(50),
        };
        using var source = NewSource(options);
        await source.StartAsync(CancellationToken.None);
        try
        {
            File.WriteAllText(FilePath, "- { ip: 10.0.0.1, name: second-and-longer }\n");
            await KubernetesTestBed.WaitUntilAsync(() => source.Current.Find(IpAddress.Parse("10.0.0.1"))?.PodName == "second-and-longer", "the periodic check reloads");
            // At least once: the check may also catch the file half-written (empty, which is valid) on its way.
            Assert.True(source.Reloads >= 1);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }
}
