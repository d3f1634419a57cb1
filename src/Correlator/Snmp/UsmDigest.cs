using System.Security.Cryptography;

// MD5, SHA-1 and DES are what RFC 3414 mandates and what switches speak; SHA-2 and AES are offered too.
#pragma warning disable CA5350, CA5351

namespace FlowExporter.Correlator.Snmp;

/// <summary>One hash function for USM, incremental, whichever implementation backs it (SHA-224 is ours).</summary>
internal sealed class UsmDigest : IDisposable
{
    private readonly IncrementalHash? _hash;
    private readonly Sha224? _sha224;

    public UsmDigest(AuthProtocol protocol)
    {
        if (protocol == AuthProtocol.Sha224)
        {
            _sha224 = new Sha224();
        }
        else
        {
            _hash = IncrementalHash.CreateHash(UsmKeys.HashOf(protocol));
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_sha224 is not null)
        {
            _sha224.Append(data);
        }
        else
        {
            _hash!.AppendData(data);
        }
    }

    public byte[] GetHashAndReset() => _sha224?.GetHashAndReset() ?? _hash!.GetHashAndReset();

    public void Dispose() => _hash?.Dispose();

    /// <summary>HMAC (RFC 2104) with this hash; all USM hashes have 64- or 128-byte blocks.</summary>
    public static byte[] Hmac(AuthProtocol protocol, ReadOnlySpan<byte> key, ReadOnlySpan<byte> message)
    {
        switch (protocol)
        {
            case AuthProtocol.Md5:
                return HMACMD5.HashData(key, message);
            case AuthProtocol.Sha1:
                return HMACSHA1.HashData(key, message);
            case AuthProtocol.Sha256:
                return HMACSHA256.HashData(key, message);
            case AuthProtocol.Sha384:
                return HMACSHA384.HashData(key, message);
            case AuthProtocol.Sha512:
                return HMACSHA512.HashData(key, message);
            default:
                break;
        }

        Span<byte> block = stackalloc byte[Sha224.BlockSize];
        block.Clear();
        if (key.Length > Sha224.BlockSize)
        {
            Sha224.Hash(key).CopyTo(block);
        }
        else
        {
            key.CopyTo(block);
        }

        Span<byte> pad = stackalloc byte[Sha224.BlockSize];
        var inner = new Sha224();
        for (var i = 0; i < pad.Length; i++)
        {
            pad[i] = (byte)(block[i] ^ 0x36);
        }

        inner.Append(pad);
        inner.Append(message);
        var innerHash = inner.GetHashAndReset();
        for (var i = 0; i < pad.Length; i++)
        {
            pad[i] = (byte)(block[i] ^ 0x5c);
        }

        inner.Append(pad);
        inner.Append(innerHash);
        return inner.GetHashAndReset();
    }
}
