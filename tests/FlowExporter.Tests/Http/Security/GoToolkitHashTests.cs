using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace FlowExporter.Tests.Http.Security;

/// <summary>Hashes made by Go's bcrypt (htpasswd style, <c>$2y$</c>) work here too, also without TLS.</summary>
public sealed class GoToolkitHashTests : IDisposable
{
    // Copied from prometheus/exporter-toolkit web/testdata/web_config_users_noTLS.good.yml (Apache-2.0);
    // the passwords are the toolkit's test passwords (carol123, dave123), checked against these hashes.
    private const string ToolkitUsers = """
        basic_auth_users:
          alice: $2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby
          bob: $2y$14$y7HJ017Lo/wKPDdzdHahNevjaqE.WRk3iKVLLt1yKO7RtIrNbvy6.
          carol: $2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu
          dave: $2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq
        """;

    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task The_toolkit_s_own_users_file_works_over_plain_http()
    {
        var (app, address) = await WebConfigServerTests.StartAsync(_certs.Write("web.yml", ToolkitUsers));
        await using (app)
        {
            Assert.Equal("http", address.Scheme);
            using var client = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, address, "carol", "carol123"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, address, "dave", "dave123"));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, address, "carol", "dave123"));
            await app.StopAsync();
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, Uri address, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/metrics"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
