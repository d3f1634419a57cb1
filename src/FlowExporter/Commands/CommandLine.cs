using FlowExporter.Configuration;

namespace FlowExporter.Commands;

/// <summary>What the command line asked for.</summary>
public enum CommandKind
{
    Run,
    Replay,
    Help,
    Version,
}

/// <summary>
/// The parsed command line: the command, its file argument (replay), the config file, and flags already turned into
/// configuration keys (the top layer of the configuration).
/// </summary>
public sealed record CommandLine(
    CommandKind Kind,
    string? ConfigFile,
    string? ReplayFile,
    string? OutputFormat,
    IReadOnlyDictionary<string, string?> Overrides)
{
    /// <summary>replay <c>--quality</c>: keep and print connection quality (off in a replay unless asked).</summary>
    public bool ReplayQuality { get; init; }

    public const string Usage = """
        Usage:
          flowexporter [--config FILE] [flags]          serve /metrics (default 0.0.0.0:9004)
          flowexporter replay FILE [--config FILE] [flags] [--format prometheus|openmetrics] [--quality]
                                                        process a pcap/pcapng file with its own timestamps as the clock
                                                        and stream the connection series (at connections.aggregation)
                                                        and capture counters to stdout; --quality adds the connection
                                                        quality series (quality.aggregation; one per client address
                                                        when no metadata names pods)
          flowexporter --version | --help

        Flags (each overrides the config file and FLOWEXPORTER_* environment variables):
          --config FILE               YAML configuration file
          --listen HOST:PORT          listen address (listen)
          --node NAME                 node label (node; default NODE_NAME, else the host name)
          --interface NAME            capture interface or glob (veth*; !glob excludes), repeatable (capture.interfaces)
          --bpf EXPR                  capture filter (capture.bpf)
          --snaplen BYTES             bytes kept per frame (capture.snaplen)
          --engine ENGINE             auto | ebpf | libpcap (capture.engine)
          --connection-timeout DUR    idle timeout, seconds or 30s/5m (connections.timeout)
          --aggregation LEVEL         connection | endpoint | pod_pair | workload_pair (connections.aggregation)
          --naming STYLE              prometheus | skydive (connections.naming)
          --ovs-db TARGET             OVSDB target, unix:PATH or tcp:HOST:PORT (ovs.db)
          --ovs-mode MODE             ovsdb | vsctl (ovs.mode)
          --kubeconfig FILE           kubeconfig for the Kubernetes source (kubernetes.kubeconfig)
          --web-config-file FILE      TLS and basic auth, node_exporter web-config format (web_config_file)
          --ipfix udp://HOST:PORT     IPFIX collector (or tcp://), repeatable (ipfix.collectors); in replay the
                                      records carry the file's timestamps
        """;

    private static readonly Dictionary<string, string> FlagKeys = new(StringComparer.Ordinal)
    {
        ["--listen"] = "listen",
        ["--node"] = "node",
        ["--bpf"] = "capture:bpf",
        ["--snaplen"] = "capture:snaplen",
        ["--engine"] = "capture:engine",
        ["--connection-timeout"] = "connections:timeout",
        ["--aggregation"] = "connections:aggregation",
        ["--naming"] = "connections:naming",
        ["--ovs-db"] = "ovs:db",
        ["--ovs-mode"] = "ovs:mode",
        ["--kubeconfig"] = "kubernetes:kubeconfig",
        ["--web-config-file"] = "web_config_file",
    };

    private static readonly string[] KnownFlags = [.. FlagKeys.Keys, "--help", "--version", "--config", "--interface", "--format"];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var kind = CommandKind.Run;
        string? configFile = null;
        string? replayFile = null;
        string? format = null;
        var replayQuality = false;
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var interfaces = new List<string>();
        var collectors = new List<string>();
        var position = 0;
        if (args.Count > 0 && args[0] == "replay")
        {
            kind = CommandKind.Replay;
            position = 1;
        }
        else if (args.Count > 0 && args[0] == "run")
        {
            position = 1;
        }

        while (position < args.Count)
        {
            var arg = args[position++];
            var (name, inlineValue) = SplitInline(arg);
            string Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (position >= args.Count || args[position].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{name} needs a value");
                }

                return args[position++];
            }

            switch (name)
            {
                case "--help" or "-h":
                    return new CommandLine(CommandKind.Help, null, null, null, overrides);
                case "--version":
                    return new CommandLine(CommandKind.Version, null, null, null, overrides);
                case "--config":
                    configFile = Value();
                    break;
                case "--interface":
                    interfaces.Add(Value());
                    break;
                case "--ipfix":
                    collectors.Add(Value());
                    break;
                case "--format" when kind == CommandKind.Replay:
                    format = Value();
                    if (format is not ("prometheus" or "openmetrics"))
                    {
                        throw new UsageException($"--format: '{format}' is not prometheus or openmetrics");
                    }

                    break;
                case "--quality" when kind == CommandKind.Replay && inlineValue is null:
                    replayQuality = true;
                    break;
                case var flag when FlagKeys.TryGetValue(flag, out var key):
                    overrides[key] = Value();
                    break;
                case var positional when !positional.StartsWith('-') && kind == CommandKind.Replay && replayFile is null:
                    replayFile = positional;
                    break;
                case var other when other.StartsWith('-'):
                    throw new UsageException(KeySuggestion.Nearest(other, KnownFlags) is { } nearest
                        ? $"unknown flag {other} (did you mean {nearest}?)"
                        : $"unknown flag {other} (see --help)");
                default:
                    throw new UsageException($"unexpected argument '{arg}' (see --help)");
            }
        }

        for (var i = 0; i < interfaces.Count; i++)
        {
            overrides[$"capture:interfaces:{i}"] = interfaces[i];
        }

        for (var i = 0; i < collectors.Count; i++)
        {
            overrides[$"ipfix:collectors:{i}"] = collectors[i];
        }

        if (kind == CommandKind.Replay && replayFile is null)
        {
            throw new UsageException("replay needs a capture file: flowexporter replay FILE");
        }

        return new CommandLine(kind, configFile, replayFile, format, overrides) { ReplayQuality = replayQuality };
    }

    private static (string Name, string? Value) SplitInline(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 2 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
    }
}
