using System.Collections;
using System.Net.Sockets;
using FlowExporter.Capture;
using FlowExporter.Commands;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Quality;
using FlowExporter.Endpoints;
using FlowExporter.Http;
using FlowExporter.Http.Security;
using FlowExporter.Ipfix;
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
            _ = SourceConfiguration.FromConfiguration(configuration, options.Node, name => environment[name] as string);
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

                // Connection quality is kept (and printed) only when asked: at its default level it is one histogram per
                // client address when no metadata names pods, which would bury the connection series in a replay.
                var replayOptions = command.ReplayQuality ? options : options with { Quality = QualityOptions.Disabled };
                var provider = BuildReplayServices(replayOptions);
                await using (provider.ConfigureAwait(false))
                {
                    return await ReplayCommand.RunAsync(provider, command.ReplayFile!, format, output, error, cancellationToken).ConfigureAwait(false);
                }
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

        var services = builder.Services;
        AddExporterServices(services, options, ExporterRole.Served);

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

    /// <summary>
    /// <c>flowexporter replay</c>'s services: the served exporter's own registration (<see cref="AddExporterServices"/>)
    /// in its replay role, in a plain service provider: no web host, no Kestrel, no hosted service started.
    /// </summary>
    public static ServiceProvider BuildReplayServices(ExporterOptions options)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        AddExporterServices(services, options, ExporterRole.Replay);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = false });
    }

    /// <summary>
    /// The exporter's composition root, one registration for both roles: the exporter's registry and health, the
    /// capture engine, the endpoint metadata and every configured source. In the <see cref="ExporterRole.Replay"/> role
    /// the capture engine runs on the file's timestamps (no clock) and fed by the replay itself, and only the sources
    /// that need nothing live (the static endpoints file) are registered.
    /// </summary>
    public static void AddExporterServices(IServiceCollection services, ExporterOptions options, ExporterRole role)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        var served = role == ExporterRole.Served;
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        BuildInfo.Register(factory);
        if (served)
        {
            DotNetStats.Register(registry);
            GcHeapStats.Register(registry, factory);
            services.AddSingleton(ExpositionBufferPoolStats.Register(new ExpositionBufferPool(), registry, factory));
        }

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton<IMetricFactory>(factory);
        services.AddSingleton(new SourceHealth(factory));
        services.AddSingleton(ReadinessOptions.FromConfiguration(options.Root, [.. SourceModules.All.Select(s => s.Name)]));
        services.AddSingleton<Readiness>();
        services.AddSingleton<MetricsExposition>();
        if (served)
        {
            // Flow records (IPFIX) are a sink of the capture: registered before it, so that the sender stops after the
            // capture and sends the open connections' records (forced end) at shutdown.
            if (options.Capture.Enabled)
            {
                services.AddIpfixExport(IpfixOptions.FromConfiguration(options.Root.GetSection("ipfix"), options.Node), options.Node);
            }

            foreach (var source in SourceModules.All)
            {
                source.Register(services, options);
            }

            return;
        }

        // Replay: the capture engine on the file's timestamps (no clock), fed by the replay itself, its flow records
        // (started and stopped by the replay), and the one source that needs nothing live (the static endpoints file).
        services.AddIpfixExport(IpfixOptions.FromConfiguration(options.Root.GetSection("ipfix"), options.Node), options.Node, replay: true);
        services.AddSingleton(provider =>
        {
            var metadata = provider.GetService<EndpointMetadata>();
            return new ConnectionAccounting(options, clock: null, metadata is null ? null : () => metadata.Current, flowRecords: provider.GetService<IFlowRecordSink>());
        });
        services.AddSingleton<IMetricsContributor>(provider => provider.GetRequiredService<ConnectionAccounting>());
        services.AddEndpointsFileSource(EndpointsFileOptions.FromConfiguration(options.Root));
    }

    private static async Task WriteAsync(Stream output, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await output.WriteAsync(bytes).ConfigureAwait(false);
        await output.FlushAsync().ConfigureAwait(false);
    }
}
