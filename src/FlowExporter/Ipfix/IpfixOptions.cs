using System.Globalization;
using System.Text;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Ipfix;

namespace FlowExporter.Ipfix;

/// <summary>The <c>ipfix</c> section: flow records of every connection to IPFIX collectors (docs/ipfix.md).</summary>
public sealed record IpfixOptions
{
    public static readonly string[] Keys =
    [
        "collectors", "active_timeout", "observation_domain_id", "template_refresh", "template_refresh_messages",
        "max_message_size", "queue_size", "send_timeout", "enterprise_number",
    ];

    public IReadOnlyList<IpfixCollectorAddress> Collectors { get; init; } = [];

    /// <summary>A live connection sends a record (its delta since the last) once a record has lasted this long.</summary>
    public TimeSpan ActiveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public uint ObservationDomainId { get; init; } = 1;

    /// <summary>UDP: templates again after this long (RFC 7011 §8.4)...</summary>
    public TimeSpan TemplateRefresh { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>... or after this many messages, whichever comes first.</summary>
    public int TemplateRefreshMessages { get; init; } = 100;

    /// <summary>Bytes per message at most: 1400 stays within a 1500-byte path MTU over IPv4 and IPv6 with room for tunnels.</summary>
    public int MaxMessageSize { get; init; } = 1400;

    /// <summary>Records waiting per collector at most; more are dropped (counted).</summary>
    public int QueueSize { get; init; } = 16_384;

    /// <summary>A connect or a send that takes longer fails (TCP: the connection is closed and reopened with backoff).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public uint EnterpriseNumber { get; init; } = FlowTemplates.DefaultEnterpriseNumber;

    public bool Enabled => Collectors.Count > 0;

    /// <summary>
    /// The default observation domain: FNV-1a (32 bit) of the node name's UTF-8 bytes, so every node of a cluster has
    /// its own and keeps it across restarts (0 is never used: it means "no domain" to some collectors).
    /// </summary>
    public static uint DomainFromNode(string node)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(node))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash == 0 ? 1 : hash;
    }

    public static IpfixOptions FromConfiguration(IConfigurationSection section, string node)
    {
        ConfigReader.RejectUnknown(section, Keys);
        var defaults = new IpfixOptions();
        var collectorsKey = ConfigReader.Path(section, "collectors");
        var collectors = ConfigReader.List(section, "collectors").Select(text => IpfixCollectorAddress.Parse(collectorsKey, text)).ToArray();
        if (collectors.Select(c => c.ToString()).Distinct(StringComparer.OrdinalIgnoreCase).Count() != collectors.Length)
        {
            throw new ConfigException(collectorsKey, "lists a collector twice");
        }

        return new IpfixOptions
        {
            Collectors = collectors,
            ActiveTimeout = ConfigReader.Duration(section, "active_timeout", defaults.ActiveTimeout, TimeSpan.FromSeconds(1)),
            ObservationDomainId = UInt(section, "observation_domain_id", DomainFromNode(node), 0),
            TemplateRefresh = ConfigReader.Duration(section, "template_refresh", defaults.TemplateRefresh, TimeSpan.FromSeconds(1)),
            TemplateRefreshMessages = ConfigReader.Int(section, "template_refresh_messages", defaults.TemplateRefreshMessages, 1, 1_000_000),
            MaxMessageSize = ConfigReader.Int(section, "max_message_size", defaults.MaxMessageSize, 512, 65535),
            QueueSize = ConfigReader.Int(section, "queue_size", defaults.QueueSize, 16, 10_000_000),
            SendTimeout = ConfigReader.Duration(section, "send_timeout", defaults.SendTimeout, TimeSpan.FromMilliseconds(100)),
            EnterpriseNumber = UInt(section, "enterprise_number", defaults.EnterpriseNumber, 1),
        };
    }

    private static uint UInt(IConfigurationSection section, string key, uint fallback, uint minimum)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!uint.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw new ConfigException(ConfigReader.Path(section, key), $"'{text}' is not a whole number in {minimum}..{uint.MaxValue}");
        }

        return value;
    }
}
