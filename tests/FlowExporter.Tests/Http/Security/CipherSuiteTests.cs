using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace FlowExporter.Tests.Http.Security;

/// <summary><c>cipher_suites</c> reaches the handshake (Linux: through .NET's cipher suite policy).</summary>
public sealed class CipherSuiteTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Theory]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)]
    public async Task Only_the_configured_tls12_suite_is_negotiated(TlsCipherSuite suite)
    {
        var webConfig = _certs.Write("web.yml", $"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              max_version: TLS12
              cipher_suites: [{suite}]
            """);
        var (app, address) = await WebConfigServerTests.StartAsync(webConfig);
        await using (app)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            await using var ssl = new SslStream(tcp.GetStream());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => _certs.IsServer(certificate),
                },
                timeout.Token);
            Assert.Equal(SslProtocols.Tls12, ssl.SslProtocol);
            Assert.Equal(suite, ssl.NegotiatedCipherSuite);
            await app.StopAsync();
        }
    }
}
