using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FlowExporter.Tests.Http.Security;

/// <summary>A temp folder with a self-signed server certificate, a client CA and a client certificate, as PEM files.</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), "webcfg-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        var now = DateTimeOffset.UtcNow;
        var (notBefore, notAfter) = (now.AddDays(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        Server = request.CreateSelfSigned(notBefore, notAfter);
        CertFile = Write("server.crt", Server.ExportCertificatePem());
        KeyFile = Write("server.key", serverKey.ExportPkcs8PrivateKeyPem());

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        OtherKeyFile = Write("other.key", otherKey.ExportPkcs8PrivateKeyPem());

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test client CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);
        ClientCaFile = Write("client-ca.crt", ca.ExportCertificatePem());

        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientRequest = new CertificateRequest("CN=prometheus", clientKey, HashAlgorithmName.SHA256);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        using var clientPublic = clientRequest.Create(ca, notBefore, notAfter.AddHours(-1), [1, 2, 3, 4]);
        Client = clientPublic.CopyWithPrivateKey(clientKey);

        using var strangerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var strangerRequest = new CertificateRequest("CN=stranger", strangerKey, HashAlgorithmName.SHA256);
        Stranger = strangerRequest.CreateSelfSigned(notBefore, notAfter);
    }

    public string Directory { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    /// <summary>A client certificate no configured CA signed.</summary>
    public X509Certificate2 Stranger { get; }

    public string CertFile { get; }

    public string KeyFile { get; }

    /// <summary>A valid key that belongs to no certificate here.</summary>
    public string OtherKeyFile { get; }

    public string ClientCaFile { get; }

    public string Write(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Accepts exactly the test server's certificate, by thumbprint.</summary>
    public bool IsServer(X509Certificate? certificate) =>
        certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), Server.GetCertHashString(HashAlgorithmName.SHA256), StringComparison.Ordinal);

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        Stranger.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder
        }
    }
}
