using FlowExporter.Configuration;

namespace FlowExporter.Ovs;

/// <summary>
/// The <c>ovs</c> section: <c>mode</c> (ovsdb | vsctl, default ovsdb), <c>db</c> (unix:PATH | tcp:HOST:PORT, default
/// unix:/var/run/openvswitch/db.sock), <c>vsctl_path</c> (default ovs-vsctl), <c>timeout</c> (per collection, per
/// request and for connecting; default 5s), <c>interval</c> (vsctl mode's collection interval, default 15s).
/// </summary>
public sealed record OvsOptions(OvsMode Mode, OvsdbTarget Db, string VsctlPath, TimeSpan Timeout, TimeSpan Interval)
{
    public const string DefaultDb = "unix:/var/run/openvswitch/db.sock";

    /// <summary>ovsdb mode: after this long without any message the client sends an echo and expects the answer within <see cref="Timeout"/>.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>ovsdb mode: reconnect backoff, doubling from the first to the last value.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Cap on what ovs-vsctl may print and on one OVSDB message.</summary>
    public int MaxOutputBytes { get; init; } = 64 * 1024 * 1024;

    public static OvsOptions Defaults(OvsMode mode, string db) =>
        new(mode, OvsdbTarget.Parse(db), "ovs-vsctl", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));

    /// <summary>
    /// Reads and validates the <c>ovs</c> section; null when it is absent or empty (the source is off).
    /// Throws <see cref="ConfigException"/> naming the full key.
    /// </summary>
    public static OvsOptions? FromConfiguration(IConfigurationSection section)
    {
        ConfigReader.RejectUnknown(section, "mode", "db", "vsctl_path", "timeout", "interval");
        if (!section.Exists())
        {
            return null;
        }

        var mode = ConfigReader.Enum(section, "mode", OvsMode.Ovsdb, ("ovsdb", OvsMode.Ovsdb), ("vsctl", OvsMode.Vsctl));
        if (!OvsdbTarget.TryParse(ConfigReader.String(section, "db")?.Trim() is { Length: > 0 } dbText ? dbText : DefaultDb, out var db, out var problem))
        {
            throw new ConfigException(ConfigReader.Path(section, "db"), problem);
        }

        var vsctlPath = section.GetSection("vsctl_path").Value is { } given && string.IsNullOrWhiteSpace(given)
            ? throw new ConfigException(ConfigReader.Path(section, "vsctl_path"), "is empty")
            : ConfigReader.String(section, "vsctl_path")?.Trim() ?? "ovs-vsctl";
        var timeout = ConfigReader.Duration(section, "timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        var interval = ConfigReader.Duration(section, "interval", TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(1));
        if (mode == OvsMode.Vsctl && timeout > interval)
        {
            throw new ConfigException(ConfigReader.Path(section, "timeout"), "must not exceed ovs interval in vsctl mode");
        }

        return new OvsOptions(mode, db!, vsctlPath, timeout, interval);
    }
}
