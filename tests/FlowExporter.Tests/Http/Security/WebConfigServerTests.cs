using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using FlowExporter.Configuration;
using FlowExporter.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FlowExporter.Tests.Http.Security;

/// <summary>The real host on Kestrel over TLS with basic auth, from a web config file written in the test.</summary>
public sealed class WebConfigServerTests : IAsyncLifetime
{
    private const string User = "prometheus";
    private const string Password = "s3cret-scrape";

    private readonly TestCertificates _certs = new();
    private WebApplication? _app;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        // node_exporter's docs make hashes with `htpasswd -nBC 10`: $2y$, cost 10.
        var hash = BCrypt.Net.BCrypt.HashPassword(Password, BCrypt.Net.BCrypt.GenerateSalt(10, 'y'));
        Assert.StartsWith("$2y$10$", hash, StringComparison.Ordinal);
        var webConfig = _certs.Write("web.yml", $"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            http_server_config:
              headers:
                X-Content-Type-Options: nosniff
            basic_auth_users:
              {User}: {hash}
            """);
        (_app, _address) = await StartAsync(webConfig);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _certs.Dispose();
    }

    internal static async Task<(WebApplication App, Uri Address)> StartAsync(string webConfigFile)
    {
        var options = ExporterOptions.FromConfiguration(
            ConfigLoader.Load(null, new Dictionary<string, string>(), new Dictionary<string, string?>
            {
                ["listen"] = "127.0.0.1:0",
                ["node"] = "test-node",
                ["web_config_file"] = webConfigFile,
            }),
            "host");
        var app = ExporterProgram.BuildApp(options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    internal static HttpClient Client(TestCertificates certs, X509Certificate2? clientCertificate = null)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certs.IsServer(certificate),
        };
        if (clientCertificate is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(clientCertificate);
        }

        return new HttpClient(handler);
    }

    private HttpRequestMessage Get(string path, string? user = null, string? password = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_address, path));
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }

        return request;
    }

    [Fact]
    public async Task Https_scrape_with_the_right_credentials_works()
    {
        Assert.Equal("https", _address.Scheme);
        using var client = Client(_certs);
        using var response = await client.SendAsync(Get("/metrics", User, Password));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("flowexporter_build_info{", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        using var landing = await client.SendAsync(Get("/", User, Password));
        Assert.Equal(HttpStatusCode.OK, landing.StatusCode);
    }

    [Theory]
    [InlineData("/metrics", null, null)]
    [InlineData("/metrics", User, "wrong")]
    [InlineData("/metrics", "nobody", Password)]
    [InlineData("/metrics", User, "")]
    [InlineData("/", null, null)]
    [InlineData("/no-such-page", null, null)]
    public async Task Missing_or_wrong_credentials_get_401_with_a_basic_challenge(string path, string? user, string? password)
    {
        using var client = Client(_certs);
        using var response = await client.SendAsync(Get(path, user, password));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"flowexporter\"", response.Headers.WwwAuthenticate.Single().ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("Unauthorized\n", body);
    }

    [Fact]
    public async Task A_malformed_authorization_header_gets_401()
    {
        using var client = Client(_certs);
        using var request = Get("/metrics");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic %%%not-base64");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_stay_open_for_probes()
    {
        using var client = Client(_certs);
        using var health = await client.SendAsync(Get("/healthz"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok\n", await health.Content.ReadAsStringAsync());
        using var ready = await client.SendAsync(Get("/readyz"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Plain_http_to_the_tls_port_gets_no_metrics()
    {
        using var client = new HttpClient();
        var plain = new UriBuilder(_address) { Scheme = "http", Path = "/metrics" }.Uri;
        var failed = false;
        try
        {
            using var response = await client.GetAsync(plain);
            failed = response.StatusCode != HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            failed = true;
        }

        Assert.True(failed);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Tls12_and_tls13_are_accepted(SslProtocols protocol)
    {
        Assert.Equal(protocol, await HandshakeAsync(protocol));
    }

    [Fact]
    public async Task Tls11_is_refused()
    {
#pragma warning disable SYSLIB0039, CA5397 // TLS 1.1 on purpose: the server must refuse it.
        var protocol = SslProtocols.Tls11;
#pragma warning restore SYSLIB0039, CA5397
        // On this OpenSSL the client side may refuse to even offer TLS 1.1, so the handshake failing alone proves
        // little: the server's own configured protocols are asserted too (see TlsProtocolsTests).
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(protocol));
    }

    [Fact]
    public async Task Tls11_offered_by_openssl_gets_a_protocol_version_alert_from_the_server()
    {
        // openssl with security level 0 really offers TLS 1.1 (the .NET client above may not even try on this OpenSSL).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap("openssl")
                .WithArguments(["s_client", "-connect", $"{_address.Host}:{_address.Port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
                .WithStandardInputPipe(PipeSource.FromString(string.Empty))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Assert.Fail($"this test needs the openssl command line tool: {ex.Message}");
            return;
        }

        var text = result.StandardOutput + result.StandardError;
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("alert protocol version", text, StringComparison.Ordinal);
    }

    private async Task<SslProtocols> HandshakeAsync(SslProtocols protocol)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_address.Host, _address.Port);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = protocol,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => _certs.IsServer(certificate),
            },
            timeout.Token);
        return ssl.SslProtocol;
    }
}
