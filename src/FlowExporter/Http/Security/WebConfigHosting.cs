using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace FlowExporter.Http.Security;

/// <summary>The two hooks the host calls: TLS on the listen socket, and headers plus basic auth on requests.</summary>
public static class WebConfigHosting
{
    public const string Realm = "flowexporter";

    /// <summary>Paths probes reach without credentials.</summary>
    private static readonly PathString[] OpenPaths = [new("/healthz"), new("/readyz")];

    /// <summary>Serves HTTPS with the web config's certificate, protocols, ciphers and client-certificate policy.</summary>
    public static ListenOptions UseWebConfigTls(this ListenOptions listen, WebConfig webConfig)
    {
        if (webConfig.Tls is not { } tls)
        {
            return listen;
        }

        listen.Protocols = webConfig.Http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
        return listen.UseHttps(HttpsOptions(tls));
    }

    internal static HttpsConnectionAdapterOptions HttpsOptions(WebTlsConfig tls)
    {
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = tls.Certificate,
            ServerCertificateChain = tls.Chain.Count > 0 ? tls.Chain : null,
            SslProtocols = tls.Protocols,
            ClientCertificateMode = tls.ClientCertificateMode,
            CheckCertificateRevocation = false,
        };

        if (tls.ClientCertificateMode != ClientCertificateMode.NoCertificate)
        {
            https.ClientCertificateValidation = (certificate, _, _) => !tls.VerifyClientCertificate || ChainsToAuthorities(certificate, tls.ClientCertificateAuthorities);
        }

        if (tls.CipherSuites is { } suites && !OperatingSystem.IsWindows())
        {
            var policy = new CipherSuitesPolicy(suites);
            https.OnAuthenticate = (_, ssl) => ssl.CipherSuitesPolicy = policy;
        }

        return https;
    }

    /// <summary>Adds the configured headers to every response and asks for credentials everywhere but the probes.</summary>
    public static IApplicationBuilder UseWebConfigSecurity(this IApplicationBuilder app, WebConfig webConfig)
    {
        if (webConfig.NotApplied.Count > 0)
        {
            app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebConfigHosting))
                .LogWarning("web_config_file: {Keys} checked but not applied on this platform (see docs/web-config.md)", string.Join(", ", webConfig.NotApplied));
        }

        if (webConfig.Headers.Count == 0 && webConfig.BasicAuthUsers.Count == 0)
        {
            return app;
        }

        var verifier = webConfig.BasicAuthUsers.Count > 0 ? new BasicAuthVerifier(webConfig.BasicAuthUsers) : null;
        return app.Use(async (context, next) =>
        {
            foreach (var (name, value) in webConfig.Headers)
            {
                context.Response.Headers[name] = value;
            }

            if (verifier is not null && !IsOpen(context.Request.Path) && !await AuthorisedAsync(context, verifier).ConfigureAwait(false))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("Unauthorized\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    private static bool IsOpen(PathString path) =>
        OpenPaths.Any(open => path.Equals(open, StringComparison.OrdinalIgnoreCase));

    private static async ValueTask<bool> AuthorisedAsync(HttpContext context, BasicAuthVerifier verifier)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Basic ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(header[scheme.Length..].Trim()));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && await verifier.VerifyAsync(decoded[..colon], decoded[(colon + 1)..], context.RequestAborted).ConfigureAwait(false);
    }

    private static bool ChainsToAuthorities(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
