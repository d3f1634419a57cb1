using System.Net.Security;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using FlowExporter.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowExporter.Http.Security;

/// <summary>
/// Reads the web config file in exporter-toolkit's format (<c>tls_server_config</c>, <c>http_server_config</c>,
/// <c>basic_auth_users</c>). Every problem is one <see cref="ConfigException"/> line naming the key, for example
/// <c>config: web_config_file: tls_server_config.cert_file: cannot read '/x'</c>; hashes and passwords never appear.
/// Relative file names are relative to the web config file's folder, as in exporter-toolkit.
/// </summary>
public static partial class WebConfigParser
{
    public const string Key = "web_config_file";

    private static readonly string[] TopKeys = ["tls_server_config", "http_server_config", "basic_auth_users"];

    private static readonly string[] TlsKeys =
    [
        "cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version", "cipher_suites",
        "curve_preferences", "prefer_server_cipher_suites",
    ];

    private static readonly string[] HttpKeys = ["http2", "headers"];

    private static readonly string[] Curves = ["CurveP256", "CurveP384", "CurveP521", "X25519", "X25519MLKEM768"];

    /// <summary>The headers exporter-toolkit lets a web config set, with their allowed values (empty: any value).</summary>
    private static readonly Dictionary<string, string[]> AllowedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Strict-Transport-Security"] = [],
        ["X-Content-Type-Options"] = ["nosniff"],
        ["X-Frame-Options"] = ["deny", "sameorigin"],
        ["X-XSS-Protection"] = [],
        ["Content-Security-Policy"] = [],
    };

    /// <summary>Loads <paramref name="path"/>; a null or empty path is <see cref="WebConfig.None"/>.</summary>
    public static WebConfig Load(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return WebConfig.None;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ConfigException(Key, $"cannot read '{path}' ({Reason(ex)})");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? Directory.GetCurrentDirectory();
        return Parse(text, directory);
    }

    /// <summary>Parses the file's text; <paramref name="baseDirectory"/> anchors relative certificate paths.</summary>
    public static WebConfig Parse(string text, string baseDirectory)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new ConfigException(Key, $"not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}");
        }

        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
        {
            return WebConfig.None;
        }

        var root = Mapping(stream.Documents[0].RootNode, "(top level)", TopKeys);
        var notApplied = new List<string>();
        var tls = root.TryGetValue("tls_server_config", out var tlsNode) && !IsNull(tlsNode)
            ? ParseTls(Mapping(tlsNode, "tls_server_config", TlsKeys), baseDirectory, notApplied)
            : null;

        var http2 = true;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetValue("http_server_config", out var httpNode) && !IsNull(httpNode))
        {
            var http = Mapping(httpNode, "http_server_config", HttpKeys);
            http2 = Bool(http, "http_server_config.http2") ?? true;
            if (http.TryGetValue("headers", out var headersNode) && !IsNull(headersNode))
            {
                foreach (var (name, valueNode) in Mapping(headersNode, "http_server_config.headers", null))
                {
                    var value = Scalar(valueNode, $"http_server_config.headers.{name}") ?? string.Empty;
                    if (!AllowedHeaders.TryGetValue(name, out var allowed))
                    {
                        throw Problem($"http_server_config.headers.{name}", $"cannot be configured (allowed: {string.Join(", ", AllowedHeaders.Keys)})");
                    }

                    if (allowed.Length > 0 && !allowed.Contains(value, StringComparer.Ordinal))
                    {
                        throw Problem($"http_server_config.headers.{name}", $"must be one of: {string.Join(", ", allowed)}");
                    }

                    headers[name] = value;
                }
            }
        }

        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetValue("basic_auth_users", out var usersNode) && !IsNull(usersNode))
        {
            foreach (var (user, hashNode) in Mapping(usersNode, "basic_auth_users", null))
            {
                var key = $"basic_auth_users.{user}";
                if (user.Length == 0 || user.Contains(':', StringComparison.Ordinal) || user.Any(char.IsControl))
                {
                    throw Problem("basic_auth_users", "user names must be non-empty, without ':' or control characters");
                }

                var hash = Scalar(hashNode, key);
                if (hash is null || !BcryptHash().IsMatch(hash) || !int.TryParse(hash.AsSpan(hash.IndexOf('$', 1) + 1, 2), out var cost) || cost is < 4 or > 31)
                {
                    throw Problem(key, "not a bcrypt hash (expected $2a$, $2b$ or $2y$, a cost from 04 to 31 and 53 characters of salt and hash)");
                }

                users[user] = hash;
            }
        }

        return new WebConfig { Tls = tls, Http2 = http2, Headers = headers, BasicAuthUsers = users, NotApplied = notApplied };
    }

    private static WebTlsConfig? ParseTls(Dictionary<string, YamlNode> tls, string baseDirectory, List<string> notApplied)
    {
        const string section = "tls_server_config";
        var certFile = ScalarOf(tls, $"{section}.cert_file");
        var keyFile = ScalarOf(tls, $"{section}.key_file");
        var clientAuth = ScalarOf(tls, $"{section}.client_auth_type");
        var clientCaFile = ScalarOf(tls, $"{section}.client_ca_file");
        if (string.IsNullOrEmpty(certFile) && string.IsNullOrEmpty(keyFile))
        {
            if (tls.Keys.Any(k => !IsNull(tls[k])))
            {
                throw Problem($"{section}.cert_file", "missing (TLS settings need cert_file and key_file)");
            }

            return null;
        }

        if (string.IsNullOrEmpty(certFile))
        {
            throw Problem($"{section}.cert_file", "missing (key_file is set)");
        }

        if (string.IsNullOrEmpty(keyFile))
        {
            throw Problem($"{section}.key_file", "missing (cert_file is set)");
        }

        var (certificate, chain) = WebConfigCertificates.LoadServer(
            Path.Combine(baseDirectory, certFile), Path.Combine(baseDirectory, keyFile), $"{Key}: {section}");

        var (mode, verify) = clientAuth switch
        {
            null or "" or "NoClientCert" => (ClientCertificateMode.NoCertificate, false),
            "RequestClientCert" => (ClientCertificateMode.AllowCertificate, false),
            "RequireAnyClientCert" => (ClientCertificateMode.RequireCertificate, false),
            "VerifyClientCertIfGiven" => (ClientCertificateMode.AllowCertificate, true),
            "RequireAndVerifyClientCert" => (ClientCertificateMode.RequireCertificate, true),
            _ => throw Problem($"{section}.client_auth_type", $"'{clientAuth}' is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert"),
        };

        var authorities = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        if (!string.IsNullOrEmpty(clientCaFile))
        {
            if (mode == ClientCertificateMode.NoCertificate)
            {
                throw Problem($"{section}.client_ca_file", "is set but client_auth_type asks for no client certificate");
            }

            authorities = WebConfigCertificates.LoadAuthorities(Path.Combine(baseDirectory, clientCaFile), $"{Key}: {section}.client_ca_file");
        }
        else if (verify)
        {
            throw Problem($"{section}.client_ca_file", $"missing (client_auth_type {clientAuth} verifies client certificates against it)");
        }

        var min = Version(tls, $"{section}.min_version") ?? SslProtocols.Tls12;
        var max = Version(tls, $"{section}.max_version") ?? SslProtocols.Tls13;
        if (min > max)
        {
            throw Problem($"{section}.min_version", "is above max_version");
        }

        var protocols = min == max ? min : SslProtocols.Tls12 | SslProtocols.Tls13;

        List<TlsCipherSuite>? suites = null;
        if (tls.TryGetValue("cipher_suites", out var suitesNode) && !IsNull(suitesNode))
        {
            suites = [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];
            foreach (var name in Sequence(suitesNode, $"{section}.cipher_suites"))
            {
                if (!name.StartsWith("TLS_", StringComparison.Ordinal) || !Enum.TryParse<TlsCipherSuite>(name, ignoreCase: false, out var suite))
                {
                    throw Problem($"{section}.cipher_suites", $"unknown cipher suite '{name}' (use Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
                }

                if (!suites.Contains(suite))
                {
                    suites.Add(suite);
                }
            }

            if (suites.Count == 3 && !protocols.HasFlag(SslProtocols.Tls13))
            {
                throw Problem($"{section}.cipher_suites", "is empty and TLS 1.3 is off: no connection could be made");
            }
        }

        if (tls.TryGetValue("curve_preferences", out var curvesNode) && !IsNull(curvesNode))
        {
            foreach (var name in Sequence(curvesNode, $"{section}.curve_preferences"))
            {
                if (!Curves.Contains(name, StringComparer.Ordinal))
                {
                    throw Problem($"{section}.curve_preferences", $"unknown curve '{name}' (known: {string.Join(", ", Curves)})");
                }
            }

            notApplied.Add($"{section}.curve_preferences");
        }

        if (Bool(tls, $"{section}.prefer_server_cipher_suites") is not null)
        {
            notApplied.Add($"{section}.prefer_server_cipher_suites");
        }

        return new WebTlsConfig
        {
            Certificate = certificate,
            Chain = chain,
            ClientCertificateMode = mode,
            VerifyClientCertificate = verify,
            ClientCertificateAuthorities = authorities,
            Protocols = protocols,
            CipherSuites = suites,
        };
    }

    private static SslProtocols? Version(Dictionary<string, YamlNode> tls, string key)
    {
        return ScalarOf(tls, key) switch
        {
            null or "" => null,
            "TLS12" => SslProtocols.Tls12,
            "TLS13" => SslProtocols.Tls13,
            "TLS10" or "TLS11" => throw Problem(key, "TLS 1.0 and 1.1 are not supported (use TLS12 or TLS13)"),
            var other => throw Problem(key, $"unknown TLS version '{other}' (use TLS12 or TLS13)"),
        };
    }

    private static Dictionary<string, YamlNode> Mapping(YamlNode node, string key, string[]? known)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw Problem(key, "must be a mapping of keys");
        }

        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? throw Problem(key, "keys must be plain names");
            if (known is not null && !known.Contains(name, StringComparer.Ordinal))
            {
                var where = key == "(top level)" ? name : $"{key}.{name}";
                throw Problem(where, $"unknown key (known: {string.Join(", ", known)})");
            }

            if (!result.TryAdd(name, value))
            {
                throw Problem(key == "(top level)" ? name : $"{key}.{name}", "appears twice");
            }
        }

        return result;
    }

    private static List<string> Sequence(YamlNode node, string key)
    {
        if (node is not YamlSequenceNode sequence)
        {
            throw Problem(key, "must be a list");
        }

        return sequence.Children.Select(child => Scalar(child, key) ?? throw Problem(key, "list items must not be empty")).ToList();
    }

    private static string? ScalarOf(Dictionary<string, YamlNode> mapping, string key)
    {
        var name = key[(key.LastIndexOf('.') + 1)..];
        return mapping.TryGetValue(name, out var node) ? Scalar(node, key) : null;
    }

    private static string? Scalar(YamlNode node, string key)
    {
        if (IsNull(node))
        {
            return null;
        }

        return node is YamlScalarNode scalar ? scalar.Value : throw Problem(key, "must be a single value");
    }

    private static bool? Bool(Dictionary<string, YamlNode> mapping, string key)
    {
        return ScalarOf(mapping, key) switch
        {
            null or "" => null,
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            _ => throw Problem(key, "must be true or false"),
        };
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static ConfigException Problem(string key, string problem) => new($"{Key}: {key}", problem);

    internal static string Reason(Exception ex) => ex switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied",
        _ => ex.GetType().Name,
    };

    [GeneratedRegex(@"^\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}$", RegexOptions.CultureInvariant)]
    private static partial Regex BcryptHash();
}
