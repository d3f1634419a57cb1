using System.Text;
using FlowExporter.Correlator.Snmp;
using Microsoft.Extensions.Time.Testing;

namespace FlowExporter.Correlator.Tests.Snmp;

public sealed class UsmClientTests
{
    private static readonly byte[] EngineId = Convert.FromHexString("80001F8804666B6531");
    private static readonly Oid SysName = Oid.Parse("1.3.6.1.2.1.1.5.0");
    private static readonly UsmUser User = new("ops", SecurityLevel.AuthPriv, AuthProtocol.Sha256, "ops-auth-pass", PrivProtocol.Aes128, "ops-priv-pass");

    [Fact]
    public void Captured_net_snmp_reports_become_clear_errors()
    {
        var datagrams = SnmpFixtures.Datagrams("netsnmp-eom.hex");
        var unknownUser = V3Message.Decode(datagrams[8].Bytes).ScopedPdu!.Pdu;
        var wrongDigest = V3Message.Decode(datagrams[12].Bytes).ScopedPdu!.Pdu;
        Assert.Equal(SnmpFailure.UnknownUser, UsmReports.ToException(unknownUser, "nouser").Failure);
        Assert.Contains("nouser", UsmReports.ToException(unknownUser, "nouser").Message);
        Assert.Equal(SnmpFailure.WrongDigest, UsmReports.ToException(wrongDigest, "labuser").Failure);
    }

    [Fact]
    public async Task Discovery_then_an_encrypted_get_returns_the_value()
    {
        var agent = new FakeUsmAgent(boots: 3, time: 1000);
        var client = new UsmClient(agent, User, string.Empty, new FakeTimeProvider(), 10, 20);
        var answer = await client.GetAsync([SysName], CancellationToken.None);
        Assert.Equal("fake-switch", answer.VarBinds[0].Value.AsText());
        Assert.Equal(EngineId, client.EngineId.ToArray());
        Assert.Equal(2, agent.Requests); // discovery + get
    }

    [Fact]
    public async Task Engine_time_advances_with_the_clock_between_requests()
    {
        var time = new FakeTimeProvider();
        var agent = new FakeUsmAgent(boots: 3, time: 1000);
        var client = new UsmClient(agent, User, string.Empty, time, 10, 20);
        await client.GetAsync([SysName], CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(100));
        agent.Time += 100;
        await client.GetAsync([SysName], CancellationToken.None);
        Assert.Equal(1100, agent.LastRequestTime);
    }

    [Fact]
    public async Task A_not_in_time_window_report_resynchronises_once_and_retries()
    {
        var agent = new FakeUsmAgent(boots: 3, time: 1000);
        var client = new UsmClient(agent, User, string.Empty, new FakeTimeProvider(), 10, 20);
        await client.DiscoverAsync(CancellationToken.None);
        agent.Boots = 4; // the agent rebooted: our boots are stale
        agent.Time = 5;
        var answer = await client.GetAsync([SysName], CancellationToken.None);
        Assert.Equal("fake-switch", answer.VarBinds[0].Value.AsText());
        Assert.Equal(1, agent.TimeWindowReports);
        Assert.Equal(4, agent.LastRequestBoots);
    }

    [Fact]
    public async Task A_wrong_auth_passphrase_gets_a_wrong_digest_error()
    {
        var agent = new FakeUsmAgent(boots: 3, time: 1000);
        var client = new UsmClient(agent, User with { AuthPassphrase = "not-the-pass" }, string.Empty, new FakeTimeProvider(), 10, 20);
        var error = await Assert.ThrowsAsync<SnmpRequestException>(() => client.GetAsync([SysName], CancellationToken.None));
        Assert.Equal(SnmpFailure.WrongDigest, error.Failure);
        Assert.DoesNotContain("not-the-pass", error.Message);
    }

    [Fact]
    public async Task A_forged_unauthenticated_response_is_not_accepted()
    {
        var agent = new FakeUsmAgent(boots: 3, time: 1000) { ForgeUnauthenticatedResponse = true };
        var client = new UsmClient(agent, User, string.Empty, new FakeTimeProvider(), 10, 20);
        var error = await Assert.ThrowsAsync<SnmpRequestException>(() => client.GetAsync([SysName], CancellationToken.None));
        Assert.Equal(SnmpFailure.ResponseAuthenticationFailed, error.Failure);
    }

    /// <summary>A v3 agent with one user and a time window of 150 s (RFC 3414 section 3.2 step 7), in memory.</summary>
    private sealed class FakeUsmAgent(int boots, int time) : ISnmpTransport
    {
        private readonly UsmLocalizedKeys _keys = UsmLocalizedKeys.For(User, EngineId);
        private ulong _salt = 1000;

        public int Boots { get; set; } = boots;

        public int Time { get; set; } = time;

        public int Requests { get; private set; }

        public int TimeWindowReports { get; private set; }

        public int LastRequestTime { get; private set; }

        public int LastRequestBoots { get; private set; }

        public bool ForgeUnauthenticatedResponse { get; init; }

        public Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, Func<ReadOnlyMemory<byte>, bool> isAnswer, CancellationToken cancellationToken)
        {
            Requests++;
            var answer = Answer(request.ToArray());
            return isAnswer(answer) ? Task.FromResult(answer) : throw new SnmpRequestException(SnmpFailure.Timeout, "no accepted answer");
        }

        private byte[] Answer(byte[] datagram)
        {
            var message = V3Message.Decode(datagram);
            if (message.Security.EngineId.Length == 0)
            {
                return Report(message, "1.3.6.1.6.3.15.1.1.4.0", authenticated: false);
            }

            if (!_keys.Verify(datagram, message.AuthParametersOffset, message.Security.AuthParameters.Length))
            {
                return Report(message, "1.3.6.1.6.3.15.1.1.5.0", authenticated: false);
            }

            LastRequestTime = message.Security.EngineTime;
            LastRequestBoots = message.Security.EngineBoots;
            if (message.Security.EngineBoots != Boots || Math.Abs(message.Security.EngineTime - Time) > 150)
            {
                TimeWindowReports++;
                return Report(message, "1.3.6.1.6.3.15.1.1.2.0", authenticated: true);
            }

            var plain = _keys.Decrypt(message.EncryptedPdu!, message.Security.PrivParameters, message.Security.EngineBoots, message.Security.EngineTime);
            var request = ScopedPdu.Decode(plain).Pdu;
            var response = new ScopedPdu(EngineId, [], new Pdu(PduType.Response, request.RequestId, 0, 0, [new VarBind(SysName, SnmpValue.OctetString("fake-switch"))]));
            if (ForgeUnauthenticatedResponse)
            {
                return Build(message.MessageId, V3Flags.None, response, []);
            }

            var (cipher, salt) = _keys.Encrypt(response.Encode(), Boots, Time, ++_salt);
            var reply = new V3Message(message.MessageId, 65507, V3Flags.Auth | V3Flags.Priv,
                new UsmSecurityParameters(EngineId, Boots, Time, Encoding.UTF8.GetBytes(User.Name), new byte[_keys.DigestLength], salt), null, cipher);
            var bytes = reply.Encode(out var offset);
            _keys.Sign(bytes, offset);
            return bytes;
        }

        private byte[] Report(V3Message request, string counter, bool authenticated)
        {
            var report = new ScopedPdu(EngineId, [], new Pdu(PduType.Report, 0, 0, 0, [new VarBind(Oid.Parse(counter), SnmpValue.Unsigned(SnmpType.Counter32, 1))]));
            return Build(request.MessageId, authenticated ? V3Flags.Auth : V3Flags.None, report, authenticated ? new byte[_keys.DigestLength] : []);
        }

        private byte[] Build(int messageId, V3Flags flags, ScopedPdu scoped, byte[] auth)
        {
            var message = new V3Message(messageId, 65507, flags, new UsmSecurityParameters(EngineId, Boots, Time, Encoding.UTF8.GetBytes(User.Name), auth, []), scoped, null);
            var bytes = message.Encode(out var offset);
            if (flags.HasFlag(V3Flags.Auth))
            {
                _keys.Sign(bytes, offset);
            }

            return bytes;
        }
    }
}
