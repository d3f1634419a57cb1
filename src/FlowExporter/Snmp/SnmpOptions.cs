using System.Globalization;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;

namespace FlowExporter.Snmp;

/// <summary>The <c>snmp</c> section: targets, the port map and how many targets are polled at once. No targets: SNMP is off.</summary>
public sealed record SnmpOptions(IReadOnlyList<SnmpTargetOptions> Targets, IReadOnlyList<PortMapEntry> PortMap, int MaxConcurrentTargets)
{
    public const int DefaultMaxConcurrentTargets = 64;

    public static readonly string[] Keys = ["targets", "port_map", "max_concurrent_targets"];

    public static readonly string[] TargetKeys =
    [
        "name", "address", "version", "community_file", "community_env", "user", "security_level", "auth_protocol",
        "auth_passphrase_file", "auth_passphrase_env", "priv_protocol", "priv_passphrase_file", "priv_passphrase_env",
        "context", "interval", "timeout", "retries", "max_repetitions", "include_if_name", "exclude_if_name",
    ];

    public static readonly string[] PortMapKeys = ["switch", "if_name", "vlan", "node", "node_interface"];

    public static SnmpOptions Disabled { get; } = new([], [], DefaultMaxConcurrentTargets);

    public bool Enabled => Targets.Count > 0;

    public override string ToString() =>
        $"SnmpOptions {{ Targets = [{string.Join(", ", Targets)}], PortMap = {PortMap.Count} entries, MaxConcurrentTargets = {MaxConcurrentTargets} }}";

    /// <summary>
    /// Reads and validates the <c>snmp</c> section; secrets are read from the files or environment variables it names.
    /// Throws <see cref="ConfigException"/> naming the full key; never includes a secret's value.
    /// </summary>
    public static SnmpOptions FromConfiguration(IConfigurationSection section, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        ConfigReader.RejectUnknown(section, Keys);
        environment ??= Environment.GetEnvironmentVariable;
        var targets = new List<SnmpTargetOptions>();
        foreach (var target in ConfigReader.Entries(section, "targets", TargetKeys))
        {
            targets.Add(ReadTarget(target, environment));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < targets.Count; i++)
        {
            if (!names.Add(targets[i].Name))
            {
                throw new ConfigException(ConfigReader.Path(section, $"targets:{i}:name"), $"'{targets[i].Name}' is used by more than one target");
            }
        }

        var map = new List<PortMapEntry>();
        foreach (var entry in ConfigReader.Entries(section, "port_map", PortMapKeys))
        {
            var switchName = ConfigReader.Required(entry, "switch");
            if (!names.Contains(switchName))
            {
                throw new ConfigException(ConfigReader.Path(entry, "switch"), $"'{switchName}' is not the name of any snmp.targets entry");
            }

            map.Add(new PortMapEntry(
                switchName,
                ConfigReader.Required(entry, "if_name"),
                ConfigReader.Int(entry, "vlan", 0, 0, 4095),
                ConfigReader.Required(entry, "node"),
                ConfigReader.String(entry, "node_interface") ?? string.Empty));
        }

        var concurrency = ConfigReader.Int(section, "max_concurrent_targets", DefaultMaxConcurrentTargets, 1, 100_000);
        return new SnmpOptions(targets, map, concurrency);
    }

    private static SnmpTargetOptions ReadTarget(IConfigurationSection target, Func<string, string?> environment)
    {
        var name = ConfigReader.Required(target, "name");
        if (name.Length > 128 || name.Any(char.IsControl))
        {
            throw new ConfigException(ConfigReader.Path(target, "name"), "must be at most 128 printable characters");
        }

        var (host, port) = Address(target);
        var version = ConfigReader.Enum(target, "version", "2c", ("2c", "2c"), ("3", "3"));

        var options = new SnmpTargetOptions
        {
            Name = name,
            Host = host,
            Port = port,
            Version = version,
            Context = ConfigReader.String(target, "context") ?? string.Empty,
            Interval = ConfigReader.Duration(target, "interval", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)),
            Timeout = ConfigReader.Duration(target, "timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10)),
            Retries = ConfigReader.Int(target, "retries", 2, 0, 10),
            MaxRepetitions = ConfigReader.Int(target, "max_repetitions", 25, 1, 1000),
            IncludeIfName = ConfigReader.Pattern(target, "include_if_name"),
            ExcludeIfName = ConfigReader.Pattern(target, "exclude_if_name"),
        };

        if (version == "2c")
        {
            return options with { Community = Secret(target, "community", environment, required: true) };
        }

        var user = ConfigReader.Required(target, "user");
        var auth = ConfigReader.Enum(target, "auth_protocol", AuthProtocol.None, AuthProtocols);
        var priv = ConfigReader.Enum(target, "priv_protocol", PrivProtocol.None, PrivProtocols);
        var defaultLevel = priv != PrivProtocol.None ? SecurityLevel.AuthPriv : auth != AuthProtocol.None ? SecurityLevel.AuthNoPriv : SecurityLevel.NoAuthNoPriv;
        var level = ConfigReader.Enum(target, "security_level", defaultLevel, Levels);
        if (level != SecurityLevel.NoAuthNoPriv && auth == AuthProtocol.None)
        {
            auth = AuthProtocol.Sha1;
        }

        if (level == SecurityLevel.AuthPriv && priv == PrivProtocol.None)
        {
            priv = PrivProtocol.Aes128;
        }

        return options with
        {
            User = user,
            SecurityLevel = level,
            AuthProtocol = level == SecurityLevel.NoAuthNoPriv ? AuthProtocol.None : auth,
            PrivProtocol = level == SecurityLevel.AuthPriv ? priv : PrivProtocol.None,
            AuthPassphrase = level == SecurityLevel.NoAuthNoPriv ? null : Passphrase(target, "auth_passphrase", environment),
            PrivPassphrase = level == SecurityLevel.AuthPriv ? Passphrase(target, "priv_passphrase", environment) : null,
        };
    }

    private static readonly (string Name, AuthProtocol Value)[] AuthProtocols =
    [
        ("MD5", AuthProtocol.Md5),
        ("SHA", AuthProtocol.Sha1),
        ("SHA1", AuthProtocol.Sha1),
        ("SHA224", AuthProtocol.Sha224),
        ("SHA-224", AuthProtocol.Sha224),
        ("SHA256", AuthProtocol.Sha256),
        ("SHA-256", AuthProtocol.Sha256),
        ("SHA384", AuthProtocol.Sha384),
        ("SHA-384", AuthProtocol.Sha384),
        ("SHA512", AuthProtocol.Sha512),
        ("SHA-512", AuthProtocol.Sha512),
    ];

    private static readonly (string Name, PrivProtocol Value)[] PrivProtocols =
    [
        ("DES", PrivProtocol.Des),
        ("AES", PrivProtocol.Aes128),
        ("AES128", PrivProtocol.Aes128),
    ];

    private static readonly (string Name, SecurityLevel Value)[] Levels =
    [
        ("noAuthNoPriv", SecurityLevel.NoAuthNoPriv),
        ("authNoPriv", SecurityLevel.AuthNoPriv),
        ("authPriv", SecurityLevel.AuthPriv),
    ];

    private static (string Host, int Port) Address(IConfigurationSection target)
    {
        var text = ConfigReader.Required(target, "address");
        string host;
        var port = 161;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ConfigException(ConfigReader.Path(target, "address"), $"'{text}' has no closing ']'");
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out port)))
            {
                throw new ConfigException(ConfigReader.Path(target, "address"), $"'{text}' is not [host]:port");
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                throw new ConfigException(ConfigReader.Path(target, "address"), $"'{text}' is not host:port");
            }
        }
        else
        {
            host = text;
        }

        if (port is < 1 or > 65535 || host.Length == 0)
        {
            throw new ConfigException(ConfigReader.Path(target, "address"), $"'{text}' needs a host and a port from 1 to 65535");
        }

        return (host, port);
    }

    private static SnmpSecret Passphrase(IConfigurationSection section, string key, Func<string, string?> environment)
    {
        var secret = Secret(section, key, environment, required: true)!;
        if (secret.Reveal().Length < 8)
        {
            throw new ConfigException(ConfigReader.Path(section, $"{key}_file"), "a USM passphrase must be at least 8 characters (RFC 3414)");
        }

        return secret;
    }

    /// <summary>Reads <c>KEY_file</c> (a file path) or <c>KEY_env</c> (an environment variable name); the value never appears in errors.</summary>
    private static SnmpSecret? Secret(IConfigurationSection section, string key, Func<string, string?> environment, bool required)
    {
        var file = ConfigReader.String(section, $"{key}_file");
        var variable = ConfigReader.String(section, $"{key}_env");
        if (!string.IsNullOrWhiteSpace(file) && !string.IsNullOrWhiteSpace(variable))
        {
            throw new ConfigException(ConfigReader.Path(section, $"{key}_file"), $"give either {key}_file or {key}_env, not both");
        }

        string? value;
        if (!string.IsNullOrWhiteSpace(file))
        {
            try
            {
                value = File.ReadAllText(file).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new ConfigException(ConfigReader.Path(section, $"{key}_file"), $"cannot read '{file}': {ex.GetType().Name}");
            }

            if (value.Length == 0)
            {
                throw new ConfigException(ConfigReader.Path(section, $"{key}_file"), $"'{file}' is empty");
            }
        }
        else if (!string.IsNullOrWhiteSpace(variable))
        {
            value = environment(variable);
            if (string.IsNullOrEmpty(value))
            {
                throw new ConfigException(ConfigReader.Path(section, $"{key}_env"), $"environment variable '{variable}' is not set or empty");
            }
        }
        else
        {
            return required ? throw new ConfigException(ConfigReader.Path(section, $"{key}_file"), $"is required (or {key}_env)") : null;
        }

        return new SnmpSecret(value);
    }
}
