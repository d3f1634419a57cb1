using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlowExporter.Ovs;

/// <summary>
/// Where the OVS database listens, in OVS's own syntax: <c>unix:PATH</c> or <c>tcp:HOST:PORT</c>
/// (<c>tcp:[::1]:6640</c> for IPv6). The same string is passed to ovs-vsctl as <c>--db</c>.
/// </summary>
public sealed record OvsdbTarget
{
    private OvsdbTarget(string text, string? path, string? host, int port)
    {
        Text = text;
        UnixPath = path;
        Host = host;
        Port = port;
    }

    public string Text { get; }

    public string? UnixPath { get; }

    public string? Host { get; }

    public int Port { get; }

    public bool IsUnix => UnixPath is not null;

    public static bool TryParse(string? text, out OvsdbTarget? target, out string problem)
    {
        target = null;
        problem = string.Empty;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            problem = "is empty (expected unix:PATH or tcp:HOST:PORT)";
            return false;
        }

        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (path.Length == 0 || !path.StartsWith('/'))
            {
                problem = "unix: needs an absolute socket path (unix:/var/run/openvswitch/db.sock)";
                return false;
            }

            target = new OvsdbTarget(text, path, null, 0);
            return true;
        }

        if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var rest = text["tcp:".Length..];
            var colon = rest.LastIndexOf(':');
            var host = colon > 0 ? rest[..colon] : string.Empty;
            if (host.StartsWith('[') && host.EndsWith(']'))
            {
                host = host[1..^1];
            }

            if (host.Length == 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                problem = "tcp: needs HOST:PORT with a port from 1 to 65535 (tcp:127.0.0.1:6640)";
                return false;
            }

            target = new OvsdbTarget(text, null, host, port);
            return true;
        }

        problem = "must be unix:PATH or tcp:HOST:PORT (ssl: is not supported)";
        return false;
    }

    public static OvsdbTarget Parse(string text) =>
        TryParse(text, out var target, out var problem) ? target! : throw new FormatException($"ovs db target {problem}");

    /// <summary>Opens a connected stream socket to the target.</summary>
    public async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        Socket socket;
        EndPoint endPoint;
        if (UnixPath is not null)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endPoint = new UnixDomainSocketEndPoint(UnixPath);
        }
        else
        {
            var address = IPAddress.TryParse(Host, out var literal)
                ? literal
                : (await Dns.GetHostAddressesAsync(Host!, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
                  ?? throw new SocketException((int)SocketError.HostNotFound);
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            endPoint = new IPEndPoint(address, Port);
        }

        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override string ToString() => Text;
}
