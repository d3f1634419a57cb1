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
        if (!section.Exists())
        {
            return null;
        }

        var path = section.Path;
        var modeText = section["mode"];
        var mode = string.IsNullOrWhiteSpace(modeText) ? OvsMode.Ovsdb : modeText.Trim().ToLowerInvariant() switch
        {
            "ovsdb" => OvsMode.Ovsdb,
            "vsctl" => OvsMode.Vsctl,
            _ => throw new ConfigException($"{path}:mode", $"'{modeText}' is not a mode (ovsdb or vsctl)"),
        };

        var dbText = section["db"];
        if (!OvsdbTarget.TryParse(string.IsNullOrWhiteSpace(dbText) ? DefaultDb : dbText, out var db, out var problem))
        {
            throw new ConfigException($"{path}:db", problem);
        }

        var vsctlPath = section["vsctl_path"];
        if (vsctlPath is not null && string.IsNullOrWhiteSpace(vsctlPath))
        {
            throw new ConfigException($"{path}:vsctl_path", "is empty");
        }

        var timeout = section["timeout"] is { } timeoutText
            ? Durations.Parse($"{path}:timeout", timeoutText, TimeSpan.FromMilliseconds(100))
            : TimeSpan.FromSeconds(5);
        var interval = section["interval"] is { } intervalText
            ? Durations.Parse($"{path}:interval", intervalText, TimeSpan.FromSeconds(1))
            : TimeSpan.FromSeconds(15);
        if (mode == OvsMode.Vsctl && timeout > interval)
        {
            throw new ConfigException($"{path}:timeout", "must not exceed ovs interval in vsctl mode");
        }

        return new OvsOptions(mode, db!, vsctlPath?.Trim() ?? "ovs-vsctl", timeout, interval);
    }
}
