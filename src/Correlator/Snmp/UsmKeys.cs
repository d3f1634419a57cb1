using System.Security.Cryptography;
using System.Text;

namespace FlowExporter.Correlator.Snmp;

/// <summary>Password-to-key and key localisation (RFC 3414 A.2, RFC 7860 section 9.3 for SHA-2).</summary>
public static class UsmKeys
{
    private const int PasswordBytes = 1_048_576;

    public static HashAlgorithmName HashOf(AuthProtocol protocol) => protocol switch
    {
        AuthProtocol.Md5 => HashAlgorithmName.MD5,
        AuthProtocol.Sha1 => HashAlgorithmName.SHA1,
        AuthProtocol.Sha224 => new HashAlgorithmName("SHA224"),
        AuthProtocol.Sha256 => HashAlgorithmName.SHA256,
        AuthProtocol.Sha384 => HashAlgorithmName.SHA384,
        AuthProtocol.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), "no hash for this protocol"),
    };

    /// <summary>The length of msgAuthenticationParameters (the truncated HMAC) for a protocol.</summary>
    public static int DigestLength(AuthProtocol protocol) => protocol switch
    {
        AuthProtocol.None => 0,
        AuthProtocol.Md5 or AuthProtocol.Sha1 => 12,
        AuthProtocol.Sha224 => 16,
        AuthProtocol.Sha256 => 24,
        AuthProtocol.Sha384 => 32,
        _ => 48,
    };

    /// <summary>Ku: the hash of the passphrase repeated to fill one megabyte.</summary>
    public static byte[] PasswordToKey(AuthProtocol protocol, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        var password = Encoding.UTF8.GetBytes(passphrase);
        if (password.Length == 0)
        {
            throw new ArgumentException("an empty passphrase cannot be turned into a key", nameof(passphrase));
        }

        using var hash = new UsmDigest(protocol);
        var chunk = new byte[64];
        var index = 0;
        for (var done = 0; done < PasswordBytes; done += chunk.Length)
        {
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = password[index++ % password.Length];
            }

            hash.Append(chunk);
        }

        CryptographicOperations.ZeroMemory(password);
        return hash.GetHashAndReset();
    }

    /// <summary>Kul = H(Ku || engineID || Ku).</summary>
    public static byte[] Localize(AuthProtocol protocol, ReadOnlySpan<byte> key, ReadOnlySpan<byte> engineId)
    {
        using var hash = new UsmDigest(protocol);
        hash.Append(key);
        hash.Append(engineId);
        hash.Append(key);
        return hash.GetHashAndReset();
    }

    public static byte[] LocalizedKey(AuthProtocol protocol, string passphrase, ReadOnlySpan<byte> engineId)
    {
        var ku = PasswordToKey(protocol, passphrase);
        try
        {
            return Localize(protocol, ku, engineId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ku);
        }
    }
}
