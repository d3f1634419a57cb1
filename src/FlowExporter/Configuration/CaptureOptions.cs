using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Configuration;

/// <summary>
/// The <c>capture</c> section: where and how packets are captured. No interface and no discovery: capture is off.
/// Which interfaces are captured is a set of selectors (docs/capture-points.md): names, globs and <c>!</c> excludes in
/// <see cref="Interfaces"/>, discovery sources in <see cref="Discover"/>.
/// </summary>
public sealed record CaptureOptions
{
    /// <summary>Interface names and globs (<c>veth*</c>); an entry starting with <c>!</c> excludes.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary>Discovery sources: <c>ovs_pod_ports</c>, <c>uplinks</c>.</summary>
    public IReadOnlyList<string> Discover { get; init; } = [];

    /// <summary>At most this many capture points are open; matching interfaces beyond it are counted, never opened.</summary>
    public int MaxPoints { get; init; } = CapturePointPolicy.DefaultMaxPoints;

    /// <summary>The kernel buffer of a pod port (a point chosen by a glob or by discovery, not an uplink).</summary>
    public int PodBufferBytes { get; init; } = CapturePointPolicy.DefaultPodPortBufferBytes;

    public string Bpf { get; init; } = string.Empty;

    /// <summary>Bytes kept of each frame: headers only; the payload is never kept.</summary>
    public int SnapLength { get; init; } = 128;

    public bool Decapsulate { get; init; } = true;

    public IReadOnlyList<int> VxlanPorts { get; init; } = [4789];

    public int GenevePort { get; init; } = 6081;

    /// <summary>The kernel buffer libpcap asks for on an uplink or an interface named explicitly.</summary>
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

    public bool Enabled => Interfaces.Count > 0 || Discover.Count > 0 || ReplayFile is not null;

    /// <summary>The parsed selectors (checked when the section was read).</summary>
    public CaptureSelectors Selectors() => CaptureSelectors.Parse(Interfaces, Discover);

    /// <summary>The bounds and ring sizes capture points are planned with.</summary>
    public CapturePointPolicy Policy() => new(MaxPoints, BufferBytes, PodBufferBytes);

    public static CaptureOptions FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(
            section,
            "interfaces",
            "discover",
            "bpf",
            "snaplen",
            "decapsulate",
            "vxlan_ports",
            "geneve_port",
            "buffer_bytes",
            "pod_buffer_bytes",
            "max_points",
            "promiscuous",
            "replay_file",
            "replay_loop",
            "engine",
            "ebpf");
        var interfaces = ConfigReader.List(section, "interfaces");
        for (var i = 0; i < interfaces.Count; i++)
        {
            var entry = interfaces[i];
            CheckSelector(section, "interfaces", i, entry, () => CaptureSelectors.Parse([entry], []));
        }

        if (interfaces.Distinct(StringComparer.Ordinal).Count() != interfaces.Count)
        {
            throw new ConfigException(ConfigReader.Path(section, "interfaces"), "an interface is listed twice");
        }

        var discover = ConfigReader.List(section, "discover");
        for (var i = 0; i < discover.Count; i++)
        {
            var entry = discover[i];
            CheckSelector(section, "discover", i, entry, () => CaptureSelectors.Parse([], [entry]));
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

        if (replayFile is not null && discover.Count > 0)
        {
            throw new ConfigException(ConfigReader.Path(section, "replay_file"), "cannot be combined with capture.discover (replay is for testing and simulation)");
        }

        var replayLoop = ConfigReader.Bool(section, "replay_loop", false);
        if (replayLoop && replayFile is null)
        {
            throw new ConfigException(ConfigReader.Path(section, "replay_loop"), "needs capture.replay_file");
        }

        return new CaptureOptions
        {
            Interfaces = interfaces,
            Discover = discover,
            MaxPoints = ConfigReader.Int(section, "max_points", CapturePointPolicy.DefaultMaxPoints, 1, 65_535),
            PodBufferBytes = ConfigReader.Int(section, "pod_buffer_bytes", CapturePointPolicy.DefaultPodPortBufferBytes, 64 * 1024, 1 << 30),
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

    /// <summary>One list entry through the selector parser: a bad one stops the start naming the key and the entry (exit code 2).</summary>
    private static void CheckSelector(IConfigurationSection section, string key, int index, string entry, Action parse)
    {
        try
        {
            parse();
        }
        catch (CapturePointConfigException error)
        {
            throw new ConfigException(ConfigReader.Path(section, $"{key}:{index}"), $"'{entry}': {error.Problem}");
        }
    }
}
