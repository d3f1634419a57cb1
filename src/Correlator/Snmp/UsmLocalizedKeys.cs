using System.Buffers.Binary;
using System.Security.Cryptography;

// MD5, SHA-1 and DES are what RFC 3414 mandates and what switches speak; SHA-2 and AES are offered too.
#pragma warning disable CA5351

namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// A user's keys localised to one engine, and the operations USM does with them: the message digest, and DES / AES
/// encryption of the scoped PDU. Salts come from a counter the caller owns.
/// </summary>
public sealed class UsmLocalizedKeys
{
    private readonly byte[] _authKey;
    private readonly byte[] _privKey;

    public UsmLocalizedKeys(AuthProtocol auth, byte[] authKey, PrivProtocol priv, byte[] privKey)
    {
        Auth = auth;
        Priv = priv;
        _authKey = authKey;
        _privKey = privKey;
        if (priv != PrivProtocol.None && privKey.Length < 16)
        {
            throw new ArgumentException("privacy needs a localised key of at least 16 bytes", nameof(privKey));
        }
    }

    public AuthProtocol Auth { get; }

    public PrivProtocol Priv { get; }

    public int DigestLength => UsmKeys.DigestLength(Auth);

    public static UsmLocalizedKeys For(UsmUser user, ReadOnlySpan<byte> engineId)
    {
        ArgumentNullException.ThrowIfNull(user);
        var auth = user.Level == SecurityLevel.NoAuthNoPriv ? AuthProtocol.None : user.Auth;
        var priv = user.Level == SecurityLevel.AuthPriv ? user.Priv : PrivProtocol.None;
        var authKey = auth == AuthProtocol.None ? [] : UsmKeys.LocalizedKey(auth, user.AuthPassphrase ?? string.Empty, engineId);

        // The privacy key is derived with the authentication protocol's hash (RFC 3414 / 3826, as net-snmp does).
        var privKey = priv == PrivProtocol.None ? [] : UsmKeys.LocalizedKey(auth, user.PrivPassphrase ?? string.Empty, engineId);
        return new UsmLocalizedKeys(auth, authKey, priv, privKey);
    }

    /// <summary>Computes the truncated HMAC over a message whose digest field (at <paramref name="offset"/>) is zero.</summary>
    public void Sign(Span<byte> message, int offset)
    {
        var digest = UsmDigest.Hmac(Auth, _authKey, message);
        digest.AsSpan(0, DigestLength).CopyTo(message.Slice(offset, DigestLength));
    }

    /// <summary>Checks a received message's digest (the field at <paramref name="offset"/>) in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> message, int offset, int length)
    {
        if (length != DigestLength || offset < 0 || offset + length > message.Length)
        {
            return false;
        }

        var copy = message.ToArray();
        var received = copy.AsSpan(offset, length).ToArray();
        copy.AsSpan(offset, length).Clear();
        var digest = UsmDigest.Hmac(Auth, _authKey, copy);
        return CryptographicOperations.FixedTimeEquals(digest.AsSpan(0, length), received);
    }

    /// <summary>Encrypts a scoped PDU; returns the ciphertext and msgPrivacyParameters (the salt).</summary>
    public (byte[] Cipher, byte[] Salt) Encrypt(ReadOnlySpan<byte> plain, int engineBoots, int engineTime, ulong saltCounter)
    {
        if (Priv == PrivProtocol.Des)
        {
            var salt = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(salt, engineBoots);
            BinaryPrimitives.WriteUInt32BigEndian(salt.AsSpan(4), (uint)saltCounter);
            using var des = DES.Create();
            des.Key = _privKey[..8];
            var padded = new byte[(plain.Length + 7) / 8 * 8];
            plain.CopyTo(padded);
            return (des.EncryptCbc(padded, DesIv(salt), PaddingMode.None), salt);
        }

        var aesSalt = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(aesSalt, saltCounter);
        return (AesCfb(plain, AesIv(engineBoots, engineTime, aesSalt), encrypt: true), aesSalt);
    }

    /// <summary>Decrypts an encrypted scoped PDU; throws <see cref="SnmpRequestException"/> (decryption error) when impossible.</summary>
    public byte[] Decrypt(byte[] cipher, byte[] salt, int engineBoots, int engineTime)
    {
        ArgumentNullException.ThrowIfNull(cipher);
        ArgumentNullException.ThrowIfNull(salt);
        if (salt.Length != 8)
        {
            throw new SnmpRequestException(SnmpFailure.DecryptionError, "response's privacy parameters are not 8 bytes");
        }

        try
        {
            if (Priv == PrivProtocol.Des)
            {
                if (cipher.Length % 8 != 0)
                {
                    throw new SnmpRequestException(SnmpFailure.DecryptionError, "DES ciphertext is not a multiple of 8 bytes");
                }

                using var des = DES.Create();
                des.Key = _privKey[..8];
                return des.DecryptCbc(cipher, DesIv(salt), PaddingMode.None);
            }

            return AesCfb(cipher, AesIv(engineBoots, engineTime, salt), encrypt: false);
        }
        catch (CryptographicException)
        {
            throw new SnmpRequestException(SnmpFailure.DecryptionError, "response could not be decrypted");
        }
    }

    /// <summary>CFB128 over any length (.NET's CFB mode wants whole blocks without padding; RFC 3826 sends partial ones).</summary>
    private byte[] AesCfb(ReadOnlySpan<byte> input, byte[] iv, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = _privKey[..16];
        var output = new byte[input.Length];
        var register = iv;
        var keystream = new byte[16];
        for (var offset = 0; offset < input.Length; offset += 16)
        {
            aes.EncryptEcb(register, keystream, PaddingMode.None);
            var count = Math.Min(16, input.Length - offset);
            for (var i = 0; i < count; i++)
            {
                output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
            }

            if (count == 16)
            {
                register = (encrypt ? output : input).Slice(offset, 16).ToArray();
            }
        }

        return output;
    }

    private byte[] DesIv(ReadOnlySpan<byte> salt)
    {
        var iv = new byte[8];
        for (var i = 0; i < 8; i++)
        {
            iv[i] = (byte)(_privKey[8 + i] ^ salt[i]);
        }

        return iv;
    }

    private static byte[] AesIv(int engineBoots, int engineTime, ReadOnlySpan<byte> salt)
    {
        var iv = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(iv, engineBoots);
        BinaryPrimitives.WriteInt32BigEndian(iv.AsSpan(4), engineTime);
        salt.CopyTo(iv.AsSpan(8));
        return iv;
    }

    public override string ToString() => $"UsmLocalizedKeys {{ Auth = {Auth}, Priv = {Priv} }}";
}
