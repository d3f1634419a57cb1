using System.Globalization;
using System.Net;

namespace FlowExporter.Configuration;

/// <summary>A <c>host:port</c> to listen on (<c>0.0.0.0:9004</c>, <c>:9004</c>, <c>[::]:9004</c>, <c>localhost:9004</c>).</summary>
public sealed record ListenAddress(string Host, int Port)
{
    public static ListenAddress Parse(string key, string text)
    {
        var separator = text.LastIndexOf(':');
        if (separator < 0)
        {
            throw new ConfigException(key, $"'{text}' is not host:port (example: 0.0.0.0:9004)");
        }

        var host = text[..separator].Trim();
        var portText = text[(separator + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new ConfigException(key, $"'{portText}' is not a TCP port");
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            host = "0.0.0.0";
        }

        if (host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            throw new ConfigException(key, $"'{host}' is not an IP address or localhost");
        }

        return new ListenAddress(host, port);
    }

    public IPAddress Address => Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(Host);

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
