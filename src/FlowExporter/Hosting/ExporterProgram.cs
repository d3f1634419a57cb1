using System.Collections;
using System.Net.Sockets;
using FlowExporter.Capture;
using FlowExporter.Commands;
using FlowExporter.Configuration;
using FlowExporter.Endpoints;
using FlowExporter.Http;
using FlowExporter.Http.Security;
using FlowExporter.Ipfix;
using FlowExporter.Kubernetes;
using FlowExporter.Ovs;
using FlowExporter.Probes;
using FlowExporter.Snmp;
using FlowExporter.Sources;
using Prometheus;
using OurFormat = FlowExporter.Correlator.Exposition.ExpositionFormat;

namespace FlowExporter.Hosting;

/// <summary>Composition: the command line, the configuration, and either a replay or the served exporter.</summary>
public static class ExporterProgram
{
    public static async Task<int> RunAsync(string[] args, Stream output, TextWriter error, IDictionary environment, CancellationToken cancellationToken = default)
    {
        CommandLine command;
        ExporterOptions options;
        try
        {
            command = CommandLine.Parse(args);
            switch (command.Kind)
            {
                case CommandKind.Help:
                    await WriteAsync(output, CommandLine.Usage + "\n").ConfigureAwait(false);
                    return 0;
                case CommandKind.Version:
                    await WriteAsync(output, $"flowexporter {BuildInfo.Version} (.NET {Environment.Version})\n").ConfigureAwait(false);
                    return 0;
                default:
                    break;
            }

            var configuration = ConfigLoader.Load(command.ConfigFile, environment, command.Overrides);
            options = ExporterOptions.FromConfiguration(configuration, System.Net.Dns.GetHostName());
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"flowexporter: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"flowexporter: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        try
        {
            if (command.Kind == CommandKind.Replay)
            {
                var format = command.OutputFormat == "openmetrics" ? OurFormat.OpenMetrics : OurFormat.PrometheusText;
                return await ReplayCommand.RunAsync(options, command.ReplayFile!, format, output, error, cancellationToken).ConfigureAwait(false);
            }

            await using var app = BuildApp(options);
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"flowexporter: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await error.WriteLineAsync($"flowexporter: listen: {options.Listen}: address already in use").ConfigureAwait(false);
            return 2;
        }
        catch (SocketException ex)
        {
            await error.WriteLineAsync($"flowexporter: listen: {options.Listen}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>The served exporter: HTTP endpoints, the exporter's registry and every configured source.</summary>
    public static WebApplication BuildApp(ExporterOptions options, Action<IServiceCollection>? configureTestServices = null)
    {
        // The exporter's configuration is its own YAML, read once: no watcher on appsettings.json. Watching it cost an
        // inotify instance per process, and on a node where the per-user limit (often 128) was used up the start died
        // with an unhandled IOException.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        var webConfig = WebConfigParser.Load(options.WebConfigFile);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Listen.Address, options.Listen.Port, listen => listen.UseWebConfigTls(webConfig)));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(4));

        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        BuildInfo.Register(factory);
        DotNetStats.Register(registry);
        GcHeapStats.Register(registry, factory);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton<IMetricFactory>(factory);
        services.AddSingleton(new SourceHealth(factory));
        services.AddSingleton<Readiness>();
        services.AddSingleton<MetricsExposition>();
        services.AddSingleton(ExpositionBufferPoolStats.Register(new ExpositionBufferPool(), registry, factory));
        if (options.Capture.Enabled)
        {
            services.AddIpfixExport(options.Ipfix, options.Node);
            services.AddSingleton(provider =>
            {
                var metadata = provider.GetService<EndpointMetadata>();
                return new ConnectionAccounting(
                    options, provider.GetRequiredService<TimeProvider>(), metadata is null ? null : () => metadata.Current, provider.GetService<IpfixExporter>());
            });
            services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<ConnectionAccounting>());
            if (options.Capture.ReplayFile is not null)
            {
                services.AddSingleton<FileReplayCapture>();
                services.AddHostedService(provider => provider.GetRequiredService<FileReplayCapture>());
            }
            else
            {
                services.AddSingleton<LiveCapture>();
                services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<LiveCapture>());
                services.AddHostedService(provider => provider.GetRequiredService<LiveCapture>());
            }
        }

        var ovs = OvsOptions.FromConfiguration(options.Root.GetSection("ovs"));
        if (ovs is not null)
        {
            services.AddOvsSource(ovs, options.Node);
        }

        services.AddSnmpSource(SnmpOptions.FromConfiguration(options.Root.GetSection("snmp")));
        var kubernetes = KubernetesOptions.FromConfiguration(options.Root.GetSection("kubernetes"));
        services.AddKubernetesSource(kubernetes);
        services.AddEndpointsFileSource(EndpointsFileOptions.FromConfiguration(options.Root));

        services.AddProbes(ProbeOptions.FromConfiguration(options.Root.GetSection("probes")), options, kubernetes);

        configureTestServices?.Invoke(services);
        var app = builder.Build();
        var startLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FlowExporter.Configuration");
        foreach (var warning in StartWarnings.For(options, app.Services.GetService<EndpointMetadata>() is not null))
        {
            startLog.LogWarning("{Warning}", warning);
        }

        app.UseWebConfigSecurity(webConfig);
        app.MapExporterEndpoints(options.Node);
        return app;
    }

    private static async Task WriteAsync(Stream output, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await output.WriteAsync(bytes).ConfigureAwait(false);
        await output.FlushAsync().ConfigureAwait(false);
    }
}
