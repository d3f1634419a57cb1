using System.Net;

namespace FlowExporter.Tests.Http.Security;

/// <summary><c>client_auth_type: RequireAndVerifyClientCert</c> with <c>client_ca_file</c>, on a real Kestrel.</summary>
public sealed class ClientCertificateTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task Only_a_client_certificate_signed_by_the_client_ca_gets_in()
    {
        var webConfig = _certs.Write("web.yml", """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: client-ca.crt
            """);
        var (app, address) = await WebConfigServerTests.StartAsync(webConfig);
        await using (app)
        {
            var metrics = new Uri(address, "/metrics");
            using (var trusted = WebConfigServerTests.Client(_certs, _certs.Client))
            {
                using var response = await trusted.GetAsync(metrics);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            using (var anonymous = WebConfigServerTests.Client(_certs))
            {
                await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync(metrics));
            }

            using (var stranger = WebConfigServerTests.Client(_certs, _certs.Stranger))
            {
                await Assert.ThrowsAsync<HttpRequestException>(() => stranger.GetAsync(metrics));
            }

            await app.StopAsync();
        }
    }
}
