
namespace FlowExporter.Configuration;

/// <summary>The <c>capture</c> section: where and how packets are captured. No interface: capture is off.</summary>
public sealed record CaptureOptions
{
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    public string Bpf { get; init; } = string.Empty;

    /// <summary>Bytes kept of each frame: headers only; the payload is never kept.</summary>
    public int SnapLength { get; init; } = 128;

    public bool Decapsulate { get; init; } = true;

    public IReadOnlyList<int> VxlanPorts { get; init; } = [4789];

    public int GenevePort { get; init; } = 6081;

    /// <summary>The kernel buffer libpcap asks for, per interface.</summary>
    public int BufferBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Promiscuous mode (CAP_NET_RAW is enough: libpcap joins through the packet socket); off by default: a pod's veth
    /// carries all of the pod's traffic anyway.
    /// </summary>
    public bool Promiscuous { get; init; }

    /// <summary>
    /// Testing and simulation: a capture file replayed at its recorded pace as if its traffic happened now, served as
    /// live capture would be (instead of live interfaces).
    /// </summary>
    public string? ReplayFile { get; init; }

    /// <summary>Replay the file again and again (each pass rebased in time), so counters keep growing.</summary>
    public bool ReplayLoop { get; init; }

    /// <summary>How live interfaces are counted (<c>capture.engine</c>); a replay is always libpcap's decoder.</summary>
    public CaptureEngineKind Engine { get; init; } = CaptureEngineKind.Auto;

    public EbpfOptions Ebpf { get; init; } = new();

    public bool Enabled => Interfaces.Count > 0 || ReplayFile is not null;

    public static CaptureOptions FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(section, "interfaces", "bpf", "snaplen", "decapsulate", "vxlan_ports", "geneve_port", "buffer_bytes", "promiscuous", "replay_file", "replay_loop", "engine", "ebpf");
        var interfaces = ConfigReader.List(section, "interfaces");
        foreach (var name in interfaces)
        {
            if (name.Length > 255 || name.Any(char.IsWhiteSpace))
            {
                throw new ConfigException(ConfigReader.Path(section, "interfaces"), $"'{name}' is not an interface name");
            }
        }

        if (interfaces.Distinct(StringComparer.Ordinal).Count() != interfaces.Count)
        {
            throw new ConfigException(ConfigReader.Path(section, "interfaces"), "an interface is listed twice");
        }

        var vxlanPorts = ConfigReader.List(section, "vxlan_ports");
        var ports = new List<int>();
        foreach (var text in vxlanPorts)
        {
            if (!int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new ConfigException(ConfigReader.Path(section, "vxlan_ports"), $"'{text}' is not a UDP port");
            }

            ports.Add(port);
        }

        var replayFile = ConfigReader.String(section, "replay_file");
        if (replayFile is not null && interfaces.Count > 0)
        {
            throw new ConfigException(ConfigReader.Path(section, "replay_file"), "cannot be combined with capture.interfaces (replay is for testing and simulation)");
        }

        var replayLoop = ConfigReader.Bool(section, "replay_loop", false);
        if (replayLoop && replayFile is null)
        {
            throw new ConfigException(ConfigReader.Path(section, "replay_loop"), "needs capture.replay_file");
        }

        return new CaptureOptions
        {
            Interfaces = interfaces,
            Bpf = ConfigReader.String(section, "bpf") ?? string.Empty,
            SnapLength = ConfigReader.Int(section, "snaplen", 128, 64, 262144),
            Decapsulate = ConfigReader.Bool(section, "decapsulate", true),
            VxlanPorts = ports.Count > 0 ? ports : [4789],
            GenevePort = ConfigReader.Int(section, "geneve_port", 6081, 1, 65535),
            BufferBytes = ConfigReader.Int(section, "buffer_bytes", 16 * 1024 * 1024, 64 * 1024, 1 << 30),
            Promiscuous = ConfigReader.Bool(section, "promiscuous", false),
            ReplayFile = replayFile,
            ReplayLoop = replayLoop,
            Engine = ConfigReader.Enum(
                section, "engine", CaptureEngineKind.Auto, ("auto", CaptureEngineKind.Auto), ("ebpf", CaptureEngineKind.Ebpf), ("libpcap", CaptureEngineKind.Libpcap)),
            Ebpf = EbpfOptions.FromConfiguration(section.GetSection("ebpf")),
        };
    }
}
