using System.Buffers.Binary;
using System.Text;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Correlator.Tests.Snmp;

public sealed class UsmTests
{
    // The users of fixtures/netsnmp-capture-snmpd.conf, whose exchanges with net-snmp 5.9.3 were captured.
    private static readonly Dictionary<string, UsmUser> Users = new()
    {
        ["labuser"] = new("labuser", SecurityLevel.AuthPriv, AuthProtocol.Sha1, "labauthpass", PrivProtocol.Aes128, "labprivpass"),
        ["mduser"] = new("mduser", SecurityLevel.AuthPriv, AuthProtocol.Md5, "mdauthpass1", PrivProtocol.Des, "mdprivpass1"),
        ["shauser"] = new("shauser", SecurityLevel.AuthPriv, AuthProtocol.Sha256, "sha2authpass", PrivProtocol.Aes128, "sha2privpass"),
        ["u224"] = new("u224", SecurityLevel.AuthPriv, AuthProtocol.Sha224, "sha224authpass", PrivProtocol.Aes128, "sha224privpass"),
        ["u384"] = new("u384", SecurityLevel.AuthPriv, AuthProtocol.Sha384, "sha384authpass", PrivProtocol.Des, "sha384privpass"),
        ["u512"] = new("u512", SecurityLevel.AuthPriv, AuthProtocol.Sha512, "sha512authpass", PrivProtocol.Aes128, "sha512privpass"),
        ["authonly"] = new("authonly", SecurityLevel.AuthNoPriv, AuthProtocol.Sha1, "authonlypass", PrivProtocol.None, null),
        ["noauth"] = new("noauth", SecurityLevel.NoAuthNoPriv, AuthProtocol.None, null, PrivProtocol.None, null),
    };

    [Fact]
    public void Rfc3414_A3_1_md5_password_to_key_and_localisation()
    {
        var ku = UsmKeys.PasswordToKey(AuthProtocol.Md5, "maplesyrup");
        Assert.Equal("9FAF3283884E92834EBC9847D8EDD963", Convert.ToHexString(ku));
        var kul = UsmKeys.Localize(AuthProtocol.Md5, ku, Convert.FromHexString("000000000000000000000002"));
        Assert.Equal("526F5EED9FCCE26F8964C2930787D82B", Convert.ToHexString(kul));
    }

    [Fact]
    public void Rfc3414_A3_2_sha_password_to_key_and_localisation()
    {
        var ku = UsmKeys.PasswordToKey(AuthProtocol.Sha1, "maplesyrup");
        Assert.Equal("9FB5CC0381497B3793528939FF788D5D79145211", Convert.ToHexString(ku));
        var kul = UsmKeys.Localize(AuthProtocol.Sha1, ku, Convert.FromHexString("000000000000000000000002"));
        Assert.Equal("6695FEBC9288E36282235FC7151F128497B38F3F", Convert.ToHexString(kul));
    }

    [Theory]
    [InlineData("abc", "23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7")]
    [InlineData("", "D14A028C2A3A2BC9476102BB288234C415A2B01F828EA62AC5B3E42F")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "75388B16512776CC5DBA5DA1FD890150B0C6455CB4F58B1952522525")]
    public void Sha224_matches_fips_180_examples(string input, string expected) =>
        Assert.Equal(expected, Convert.ToHexString(Sha224.Hash(Encoding.ASCII.GetBytes(input))));

    [Fact]
    public void Sha224_of_a_million_a_matches_fips_180()
    {
        var sha = new Sha224();
        var chunk = Encoding.ASCII.GetBytes(new string('a', 1000));
        for (var i = 0; i < 1000; i++)
        {
            sha.Append(chunk);
        }

        Assert.Equal("20794655980C91D8BBB4C1EA97618A4BF03F42581948B2EE4EE7AD67", Convert.ToHexString(sha.GetHashAndReset()));
    }

    [Fact]
    public void Hmac_sha224_matches_rfc4231_case_2() =>
        Assert.Equal(
            "A30E01098BC6DBBF45690F3A7E9E6D0F8BBEA2A39E6148008FD05E44",
            Convert.ToHexString(UsmDigest.Hmac(AuthProtocol.Sha224, "Jefe"u8, "what do ya want for nothing?"u8)));

    [Theory]
    [InlineData("netsnmp-v3.hex")]
    [InlineData("netsnmp-v3-sha2.hex")]
    public void Digests_and_ciphertexts_of_net_snmp_messages_are_reproduced(string fixture)
    {
        var checkedMessages = 0;
        foreach (var (fromAgent, bytes) in SnmpFixtures.Datagrams(fixture))
        {
            var message = V3Message.Decode(bytes);
            var userName = Encoding.UTF8.GetString(message.Security.UserName);
            if (userName.Length == 0)
            {
                continue; // discovery
            }

            var user = Users[userName];
            var keys = UsmLocalizedKeys.For(user, message.Security.EngineId);
            if (user.Level != SecurityLevel.NoAuthNoPriv)
            {
                Assert.True(message.Flags.HasFlag(V3Flags.Auth));
                Assert.True(keys.Verify(bytes, message.AuthParametersOffset, message.Security.AuthParameters.Length), $"digest of {userName}");

                // Signing the same bytes with a zeroed field gives net-snmp's digest exactly.
                var copy = bytes.ToArray();
                copy.AsSpan(message.AuthParametersOffset, keys.DigestLength).Clear();
                keys.Sign(copy, message.AuthParametersOffset);
                Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(copy));

                copy[^1] ^= 1;
                Assert.False(keys.Verify(copy, message.AuthParametersOffset, keys.DigestLength));
            }

            ScopedPdu scoped;
            if (user.Level == SecurityLevel.AuthPriv)
            {
                var plain = keys.Decrypt(message.EncryptedPdu!, message.Security.PrivParameters, message.Security.EngineBoots, message.Security.EngineTime);
                scoped = ScopedPdu.Decode(plain);

                // Encrypting the plaintext with the same salt gives net-snmp's ciphertext.
                var salt = message.Security.PrivParameters;
                var counter = user.Priv == PrivProtocol.Des ? BinaryPrimitives.ReadUInt32BigEndian(salt.AsSpan(4)) : BinaryPrimitives.ReadUInt64BigEndian(salt);
                var boots = user.Priv == PrivProtocol.Des ? BinaryPrimitives.ReadInt32BigEndian(salt) : message.Security.EngineBoots;
                var (cipher, newSalt) = keys.Encrypt(plain.AsSpan(0, message.EncryptedPdu!.Length), boots, message.Security.EngineTime, counter);
                Assert.Equal(Convert.ToHexString(message.EncryptedPdu!), Convert.ToHexString(cipher));
                Assert.Equal(salt, newSalt);
            }
            else
            {
                scoped = message.ScopedPdu!;
            }

            Assert.Equal("1.3.6.1.2.1.1.5.0", scoped.Pdu.VarBinds[0].Oid.ToString());
            if (fromAgent)
            {
                Assert.Equal(PduType.Response, scoped.Pdu.Type);
                Assert.Equal("lab-switch-1", scoped.Pdu.VarBinds[0].Value.AsText());
            }

            checkedMessages++;
        }

        Assert.True(checkedMessages >= 6, $"only {checkedMessages} messages checked");
    }

    [Fact]
    public void Users_and_keys_never_show_secrets()
    {
        var user = new UsmUser("u", SecurityLevel.AuthPriv, AuthProtocol.Sha1, "SENTINEL-auth", PrivProtocol.Aes128, "SENTINEL-priv");
        Assert.DoesNotContain("SENTINEL", user.ToString());
        Assert.DoesNotContain("SENTINEL", UsmLocalizedKeys.For(user, [1, 2, 3, 4, 5]).ToString());
    }
}
