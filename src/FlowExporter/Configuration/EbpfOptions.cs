namespace FlowExporter.Configuration;

/// <summary>The <c>capture.ebpf</c> section: the in-kernel engine's map size and sweep interval.</summary>
public sealed record EbpfOptions
{
    public const int DefaultMaxConnections = 65_536;

    /// <summary>
    /// Connections each of the program's two flow maps holds per sweep interval (preallocated: about 192 bytes an
    /// entry, two maps, so 25 MB at the default). A new connection beyond it is counted as a <c>map_full</c> drop.
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>How often the maps are drained into the connection table.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The compiled program (flow.bpf.o); null: the one beside the binary.</summary>
    public string? ObjectPath { get; init; }

    public static EbpfOptions FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(section, "max_connections", "sweep_interval", "object");
        return new EbpfOptions
        {
            MaxConnections = ConfigReader.Int(section, "max_connections", DefaultMaxConnections, 16, 16 * 1024 * 1024),
            SweepInterval = ConfigReader.Duration(section, "sweep_interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10)),
            ObjectPath = ConfigReader.String(section, "object"),
        };
    }
}
