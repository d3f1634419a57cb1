using System.Security.Authentication;
using FlowExporter.Configuration;
using FlowExporter.Http.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace FlowExporter.Tests.Http.Security;

public sealed class WebConfigParserTests : IDisposable
{
    private const string Hash = "$2y$04$0R3D1bGNcmTmHQzmGVyAn.Xjv4GFB7TVXiS/bZKbLnR1d9mC8YT4m";

    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private string Tls(string extra = "") => $"""
        tls_server_config:
          cert_file: {_certs.CertFile}
          key_file: {_certs.KeyFile}
        {extra}
        """;

    private string Message(string yaml) =>
        Assert.Throws<ConfigException>(() => WebConfigParser.Parse(yaml, _certs.Directory)).Message;

    [Fact]
    public void Empty_file_or_no_path_is_plain_http_without_auth()
    {
        Assert.Same(FlowExporter.Http.Security.WebConfig.None, WebConfigParser.Parse("", _certs.Directory));
        Assert.Same(FlowExporter.Http.Security.WebConfig.None, WebConfigParser.Load(null));
        var empty = WebConfigParser.Parse("tls_server_config:\nbasic_auth_users:\n", _certs.Directory);
        Assert.Null(empty.Tls);
        Assert.Empty(empty.BasicAuthUsers);
    }

    [Fact]
    public void A_full_node_exporter_style_file_is_read()
    {
        var config = WebConfigParser.Parse($"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: client-ca.crt
              min_version: TLS13
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: true
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              prometheus: {Hash}
            """, _certs.Directory);

        var tls = Assert.IsType<WebTlsConfig>(config.Tls);
        Assert.Equal(_certs.Server.Thumbprint, tls.Certificate.Thumbprint);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal(ClientCertificateMode.RequireCertificate, tls.ClientCertificateMode);
        Assert.True(tls.VerifyClientCertificate);
        Assert.Single(tls.ClientCertificateAuthorities);
        Assert.Equal(SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(4, tls.CipherSuites!.Count);
        Assert.False(config.Http2);
        Assert.Equal("deny", config.Headers["X-Frame-Options"]);
        Assert.Equal(Hash, config.BasicAuthUsers["prometheus"]);
        Assert.Equal(["tls_server_config.curve_preferences", "tls_server_config.prefer_server_cipher_suites"], config.NotApplied);
    }

    [Fact]
    public void Defaults_are_tls12_and_tls13_without_client_certificates()
    {
        var tls = WebConfigParser.Parse(Tls(), _certs.Directory).Tls!;
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(ClientCertificateMode.NoCertificate, tls.ClientCertificateMode);
        Assert.Null(tls.CipherSuites);
    }

    [Theory]
    [InlineData("tls_server_config: [", "config: web_config_file: not valid YAML at line ")]
    [InlineData("tls_config:\n  cert_file: x", "config: web_config_file: tls_config: unknown key (known: tls_server_config, http_server_config, basic_auth_users)")]
    [InlineData("tls_server_config:\n  certfile: x", "config: web_config_file: tls_server_config.certfile: unknown key (known: cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version, cipher_suites, curve_preferences, prefer_server_cipher_suites)")]
    [InlineData("- a\n- b", "config: web_config_file: (top level): must be a mapping of keys")]
    [InlineData("tls_server_config:\n  cert_file: server.crt", "config: web_config_file: tls_server_config.key_file: missing (cert_file is set)")]
    [InlineData("tls_server_config:\n  min_version: TLS12", "config: web_config_file: tls_server_config.cert_file: missing (TLS settings need cert_file and key_file)")]
    [InlineData("http_server_config:\n  http2: maybe", "config: web_config_file: http_server_config.http2: must be true or false")]
    [InlineData("http_server_config:\n  headers:\n    Server: nginx", "config: web_config_file: http_server_config.headers.Server: cannot be configured (allowed: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)")]
    [InlineData("http_server_config:\n  headers:\n    X-Frame-Options: allow", "config: web_config_file: http_server_config.headers.X-Frame-Options: must be one of: deny, sameorigin")]
    public void Problems_are_one_line_naming_the_key(string yaml, string expected)
    {
        var message = Message(yaml);
        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Theory]
    [InlineData("min_version: TLS11", "tls_server_config.min_version: TLS 1.0 and 1.1 are not supported (use TLS12 or TLS13)")]
    [InlineData("min_version: TLS10", "tls_server_config.min_version: TLS 1.0 and 1.1 are not supported (use TLS12 or TLS13)")]
    [InlineData("max_version: TLS14", "tls_server_config.max_version: unknown TLS version 'TLS14' (use TLS12 or TLS13)")]
    [InlineData("min_version: TLS13\n  max_version: TLS12", "tls_server_config.min_version: is above max_version")]
    [InlineData("client_auth_type: RequireAndVerifyClientCert", "tls_server_config.client_ca_file: missing (client_auth_type RequireAndVerifyClientCert verifies client certificates against it)")]
    [InlineData("client_auth_type: Sometimes", "tls_server_config.client_auth_type: 'Sometimes' is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert")]
    [InlineData("client_ca_file: client-ca.crt", "tls_server_config.client_ca_file: is set but client_auth_type asks for no client certificate")]
    [InlineData("cipher_suites: [TLS_RSA_WITH_RC4_128_MD5_NOPE]", "tls_server_config.cipher_suites: unknown cipher suite 'TLS_RSA_WITH_RC4_128_MD5_NOPE' (use Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)")]
    [InlineData("curve_preferences: [P256]", "tls_server_config.curve_preferences: unknown curve 'P256' (known: CurveP256, CurveP384, CurveP521, X25519, X25519MLKEM768)")]
    [InlineData("cipher_suites: TLS_AES_128_GCM_SHA256", "tls_server_config.cipher_suites: must be a list")]
    public void Tls_settings_are_validated(string setting, string expected)
    {
        var yaml = Tls().Replace("\n\n", "\n", StringComparison.Ordinal) + "  " + setting + "\n";
        Assert.Equal("config: web_config_file: " + expected, Message(yaml));
    }

    [Fact]
    public void Unreadable_certificate_or_key_names_the_key_and_the_path()
    {
        var missing = Path.Combine(_certs.Directory, "missing.crt");
        Assert.Equal(
            $"config: web_config_file: tls_server_config.cert_file: cannot read '{missing}' (no such file)",
            Message($"tls_server_config:\n  cert_file: {missing}\n  key_file: {_certs.KeyFile}"));
        Assert.Equal(
            "config: web_config_file: tls_server_config.key_file: cannot read '/nonexistent-dir/server.key' (no such directory)",
            Message($"tls_server_config:\n  cert_file: {_certs.CertFile}\n  key_file: /nonexistent-dir/server.key"));
    }

    [Fact]
    public void Certificate_and_key_must_match_and_parse()
    {
        Assert.Equal(
            $"config: web_config_file: tls_server_config.key_file: '{_certs.OtherKeyFile}' does not match the certificate in cert_file",
            Message($"tls_server_config:\n  cert_file: {_certs.CertFile}\n  key_file: {_certs.OtherKeyFile}"));

        var garbageKey = _certs.Write("garbage.key", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        Assert.Equal(
            $"config: web_config_file: tls_server_config.key_file: '{garbageKey}' holds no usable unencrypted PEM private key",
            Message($"tls_server_config:\n  cert_file: {_certs.CertFile}\n  key_file: {garbageKey}"));

        var notACert = _certs.Write("not-a-cert.crt", "hello\n");
        Assert.Equal(
            $"config: web_config_file: tls_server_config.cert_file: '{notACert}' holds no PEM certificate",
            Message($"tls_server_config:\n  cert_file: {notACert}\n  key_file: {_certs.KeyFile}"));
    }

    [Theory]
    [InlineData("plaintext-password")]
    [InlineData("$1$abcdefgh$0123456789abcdefghijkl")]
    [InlineData("$2y$03$0R3D1bGNcmTmHQzmGVyAn.Xjv4GFB7TVXiS/bZKbLnR1d9mC8YT4m")]
    [InlineData("$2y$04$tooShort")]
    public void A_hash_that_is_not_bcrypt_is_refused_without_showing_it(string hash)
    {
        var message = Message($"basic_auth_users:\n  alice: '{hash}'");
        Assert.Equal("config: web_config_file: basic_auth_users.alice: not a bcrypt hash (expected $2a$, $2b$ or $2y$, a cost from 04 to 31 and 53 characters of salt and hash)", message);
        Assert.DoesNotContain(hash, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_name_with_a_colon_could_never_log_in_and_is_refused()
    {
        Assert.Equal(
            "config: web_config_file: basic_auth_users: user names must be non-empty, without ':' or control characters",
            Message($"basic_auth_users:\n  'a:b': '{Hash}'"));
    }

    [Fact]
    public void Load_names_the_file_it_cannot_read()
    {
        var missing = Path.Combine(_certs.Directory, "web.yml");
        Assert.Equal($"config: web_config_file: cannot read '{missing}' (no such file)", Assert.Throws<ConfigException>(() => WebConfigParser.Load(missing)).Message);
    }

    [Fact]
    public void Load_resolves_relative_certificate_paths_against_the_file_s_folder()
    {
        var path = _certs.Write("web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
        var cwd = Directory.GetCurrentDirectory();
        Assert.NotEqual(_certs.Directory, cwd);
        Assert.Equal(_certs.Server.Thumbprint, WebConfigParser.Load(path).Tls!.Certificate.Thumbprint);
    }
}
