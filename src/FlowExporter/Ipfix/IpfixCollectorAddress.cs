using System.Globalization;
using FlowExporter.Configuration;

namespace FlowExporter.Ipfix;

/// <summary>A collector: <c>udp://host:port</c> or <c>tcp://host:port</c> (an IPv6 address in brackets).</summary>
public sealed record IpfixCollectorAddress(IpfixTransport Transport, string Host, int Port)
{
    /// <summary>The <c>collector</c> label: the address as configured, normalised.</summary>
    public override string ToString() =>
        $"{(Transport == IpfixTransport.Udp ? "udp" : "tcp")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";

    public static IpfixCollectorAddress Parse(string key, string text)
    {
        var trimmed = text.Trim();
        IpfixTransport transport;
        if (trimmed.StartsWith("udp://", StringComparison.OrdinalIgnoreCase))
        {
            transport = IpfixTransport.Udp;
        }
        else if (trimmed.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
        {
            transport = IpfixTransport.Tcp;
        }
        else
        {
            throw new ConfigException(key, $"'{text}' is not udp://HOST:PORT or tcp://HOST:PORT");
        }

        var rest = trimmed[6..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ConfigException(key, $"'{text}' needs a port in 1..65535 (udp://HOST:PORT)");
        }

        var host = rest[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw new ConfigException(key, $"'{text}': put an IPv6 address in brackets (udp://[::1]:4739)");
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '@'))
        {
            throw new ConfigException(key, $"'{text}' has no valid host");
        }

        return new IpfixCollectorAddress(transport, host, port);
    }
}
