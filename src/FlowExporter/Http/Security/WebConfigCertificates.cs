using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowExporter.Configuration;

namespace FlowExporter.Http.Security;

/// <summary>Loads the PEM files a web config names, with one clear line per problem (never a key's content).</summary>
internal static class WebConfigCertificates
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>The leaf with its private key, and the further certificates of <paramref name="certPath"/> as its chain.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadServer(string certPath, string keyPath, string key)
    {
        var certText = Read(certPath, $"{key}.cert_file");
        var keyText = Read(keyPath, $"{key}.key_file");
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certText);
        }
        catch (CryptographicException)
        {
            throw new ConfigException($"{key}.cert_file", $"'{certPath}' holds a malformed PEM certificate");
        }

        if (all.Count == 0)
        {
            throw new ConfigException($"{key}.cert_file", $"'{certPath}' holds no PEM certificate");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certText, keyText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new ConfigException(
                $"{key}.key_file",
                HoldsPrivateKey(keyText)
                    ? $"'{keyPath}' does not match the certificate in cert_file"
                    : $"'{keyPath}' holds no usable unencrypted PEM private key");
        }

        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage
            && !usage.EnhancedKeyUsages.Cast<Oid>().Any(oid => oid.Value == ServerAuthOid))
        {
            throw new ConfigException($"{key}.cert_file", $"'{certPath}' is not valid for server authentication (extended key usage)");
        }

        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }

        all[0].Dispose();
        return (certificate, chain);
    }

    public static X509Certificate2Collection LoadAuthorities(string path, string key)
    {
        var text = Read(path, key);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(text);
        }
        catch (CryptographicException)
        {
            throw new ConfigException(key, $"'{path}' holds a malformed PEM certificate");
        }

        return authorities.Count > 0 ? authorities : throw new ConfigException(key, $"'{path}' holds no PEM certificate");
    }

    private static string Read(string path, string key)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ConfigException(key, $"cannot read '{path}' ({WebConfigParser.Reason(ex)})");
        }
    }

    private static bool HoldsPrivateKey(string keyText)
    {
        Func<AsymmetricAlgorithm>[] kinds = [RSA.Create, ECDsa.Create, DSA.Create];
        foreach (var create in kinds)
        {
            using var algorithm = create();
            try
            {
                algorithm.ImportFromPem(keyText);
                return true;
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                // not this kind of key: try the next
                continue;
            }
        }

        return false;
    }
}
