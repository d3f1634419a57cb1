using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace FlowExporter.Http.Security;

/// <summary>
/// The web config file (node_exporter / exporter-toolkit format), validated and with its certificates loaded.
/// <see cref="None"/> is plain HTTP without authentication.
/// </summary>
public sealed record WebConfig
{
    public static readonly WebConfig None = new();

    public WebTlsConfig? Tls { get; init; }

    public bool Http2 { get; init; } = true;

    /// <summary>Extra response headers from <c>http_server_config.headers</c> (only the ones exporter-toolkit allows).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>User name to bcrypt hash. Empty: no authentication.</summary>
    public IReadOnlyDictionary<string, string> BasicAuthUsers { get; init; } = new Dictionary<string, string>();

    /// <summary>Settings read and validated but that .NET gives no way to apply (see docs/web-config.md).</summary>
    public IReadOnlyList<string> NotApplied { get; init; } = [];
}

/// <summary>The <c>tls_server_config</c> section with its certificate, chain and client CAs loaded.</summary>
public sealed record WebTlsConfig
{
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Further certificates of <c>cert_file</c> (intermediates), sent with the leaf.</summary>
    public X509Certificate2Collection Chain { get; init; } = [];

    public ClientCertificateMode ClientCertificateMode { get; init; } = ClientCertificateMode.NoCertificate;

    /// <summary>Whether a presented client certificate must chain to <see cref="ClientCertificateAuthorities"/>.</summary>
    public bool VerifyClientCertificate { get; init; }

    public X509Certificate2Collection ClientCertificateAuthorities { get; init; } = [];

    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Allowed cipher suites (TLS 1.2 ones from the file plus every TLS 1.3 suite); null: the OS defaults.</summary>
    public IReadOnlyList<System.Net.Security.TlsCipherSuite>? CipherSuites { get; init; }
}
