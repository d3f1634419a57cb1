using System.Security.Authentication;
using FlowExporter.Http.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace FlowExporter.Tests.Http.Security;

/// <summary>What Kestrel is handed: protocols and client-certificate policy, whatever the client side can attempt.</summary>
public sealed class TlsProtocolsTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Theory]
    [InlineData("", SslProtocols.Tls12 | SslProtocols.Tls13)]
    [InlineData("min_version: TLS12", SslProtocols.Tls12 | SslProtocols.Tls13)]
    [InlineData("min_version: TLS13", SslProtocols.Tls13)]
    [InlineData("max_version: TLS12", SslProtocols.Tls12)]
    public void The_server_offers_only_tls12_and_tls13(string setting, SslProtocols expected)
    {
        var config = WebConfigParser.Parse($"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  {setting}\n", _certs.Directory);
        var https = WebConfigHosting.HttpsOptions(config.Tls!);
        Assert.Equal(expected, https.SslProtocols);
        Assert.Equal(ClientCertificateMode.NoCertificate, https.ClientCertificateMode);
        Assert.Equal(_certs.Server.Thumbprint, https.ServerCertificate!.Thumbprint);
    }
}
