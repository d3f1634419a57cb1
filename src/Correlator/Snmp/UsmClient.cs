using System.Text;

namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// SNMPv3 with the User-based Security Model: discovers the agent's engine ID, boots and time, localises the user's
/// keys to it, signs and encrypts requests, checks and decrypts answers, and turns Report PDUs into clear errors. One
/// request at a time per client.
/// </summary>
public sealed class UsmClient : SnmpClient
{
    private const int MaxMessageSize = 65507;
    private readonly UsmUser _user;
    private readonly byte[] _userName;
    private readonly byte[] _contextName;
    private readonly TimeProvider _time;
    private byte[]? _engineId;
    private int _engineBoots;
    private int _engineTime;
    private long _syncedAt;
    private UsmLocalizedKeys? _keys;
    private ulong _salt;

    public UsmClient(ISnmpTransport transport, UsmUser user, string contextName, TimeProvider time, int firstRequestId, ulong firstSalt)
        : base(transport, firstRequestId)
    {
        ArgumentNullException.ThrowIfNull(user);
        _user = user;
        _userName = Encoding.UTF8.GetBytes(user.Name);
        _contextName = Encoding.UTF8.GetBytes(contextName ?? string.Empty);
        _time = time;
        _salt = firstSalt;
    }

    /// <summary>The agent's engine ID once discovered.</summary>
    public ReadOnlyMemory<byte> EngineId => _engineId;

    public override async Task<Pdu> SendAsync(Pdu request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_engineId is null)
        {
            await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await SendOnceAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (SnmpRequestException ex) when (ex.Failure is SnmpFailure.NotInTimeWindow or SnmpFailure.UnknownEngineId)
        {
            // The report brought the agent's current boots/time (or the engine changed): synchronise once and retry.
            if (ex.Failure == SnmpFailure.UnknownEngineId)
            {
                await DiscoverAsync(cancellationToken).ConfigureAwait(false);
            }

            return await SendOnceAsync(request with { RequestId = NextRequestId() }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Engine discovery (RFC 3414 section 4): an empty unauthenticated request answered by a usmStatsUnknownEngineIDs report.</summary>
    public async Task DiscoverAsync(CancellationToken cancellationToken)
    {
        var messageId = NextRequestId();
        var probe = new V3Message(
            messageId,
            MaxMessageSize,
            V3Flags.Reportable,
            new UsmSecurityParameters([], 0, 0, [], [], []),
            new ScopedPdu([], [], new Pdu(PduType.GetRequest, NextRequestId(), 0, 0, [])),
            null);
        var found = await ExchangeAsync(
            probe.Encode(out _),
            received =>
            {
                var message = V3Message.Decode(received.Span);
                return message.MessageId == messageId ? message.Security : null;
            },
            "the agent answered engine discovery only with malformed datagrams",
            cancellationToken).ConfigureAwait(false);

        if (found.EngineId.Length is < 5 or > 32)
        {
            throw new SnmpRequestException(SnmpFailure.MalformedResponse, "the agent's discovery answer carries no valid engine ID");
        }

        if (_engineId is null || !_engineId.AsSpan().SequenceEqual(found.EngineId))
        {
            _keys = _user.Level == SecurityLevel.NoAuthNoPriv ? null : UsmLocalizedKeys.For(_user, found.EngineId);
        }

        _engineId = found.EngineId;
        Synchronise(found.EngineBoots, found.EngineTime);
    }

    private async Task<Pdu> SendOnceAsync(Pdu request, CancellationToken cancellationToken)
    {
        var engineId = _engineId!;
        var messageId = NextRequestId();
        var scoped = new ScopedPdu(engineId, _contextName, request);
        var flags = V3Flags.Reportable;
        var engineTime = EstimatedEngineTime();
        byte[] authPlaceholder = [];
        byte[] salt = [];
        byte[]? cipher = null;
        if (_keys is not null)
        {
            flags |= V3Flags.Auth;
            authPlaceholder = new byte[_keys.DigestLength];
            if (_user.Level == SecurityLevel.AuthPriv)
            {
                flags |= V3Flags.Priv;
                (cipher, salt) = _keys.Encrypt(scoped.Encode(), _engineBoots, engineTime, ++_salt);
            }
        }

        var message = new V3Message(
            messageId,
            MaxMessageSize,
            flags,
            new UsmSecurityParameters(engineId, _engineBoots, engineTime, _userName, authPlaceholder, salt),
            cipher is null ? scoped : null,
            cipher);
        var datagram = message.Encode(out var authOffset);
        _keys?.Sign(datagram, authOffset);

        Pdu? answer = null;
        SnmpRequestException? failure = null;
        var malformed = false;
        var unauthenticated = false;
        try
        {
            await Transport.ExchangeAsync(datagram, received =>
            {
                try
                {
                    return Accept(received.Span, messageId, request.RequestId, ref answer, ref failure, ref unauthenticated);
                }
                catch (SnmpDecodeException)
                {
                    malformed = true;
                    CountMalformed();
                    return false;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SnmpRequestException ex) when (ex.Failure == SnmpFailure.Timeout && (malformed || unauthenticated))
        {
            throw unauthenticated
                ? new SnmpRequestException(SnmpFailure.ResponseAuthenticationFailed, "the agent's answers failed authentication")
                : new SnmpRequestException(SnmpFailure.MalformedResponse, "the agent answered only with malformed datagrams");
        }

        if (failure is not null)
        {
            throw failure;
        }

        return answer!;
    }

    private bool Accept(ReadOnlySpan<byte> received, int messageId, int requestId, ref Pdu? answer, ref SnmpRequestException? failure, ref bool unauthenticated)
    {
        var message = V3Message.Decode(received);
        if (message.MessageId != messageId)
        {
            return false;
        }

        var authenticated = false;
        if (message.Flags.HasFlag(V3Flags.Auth))
        {
            if (_keys is null || !_keys.Verify(received, message.AuthParametersOffset, message.Security.AuthParameters.Length))
            {
                unauthenticated = true;
                return false;
            }

            authenticated = true;
        }

        ScopedPdu scoped;
        if (message.EncryptedPdu is not null)
        {
            if (!authenticated || !message.Flags.HasFlag(V3Flags.Priv))
            {
                unauthenticated = true;
                return false;
            }

            try
            {
                var plain = _keys!.Decrypt(message.EncryptedPdu, message.Security.PrivParameters, message.Security.EngineBoots, message.Security.EngineTime);
                scoped = ScopedPdu.Decode(plain);
            }
            catch (Exception ex) when (ex is SnmpDecodeException or SnmpRequestException)
            {
                failure = new SnmpRequestException(SnmpFailure.DecryptionError, "the agent's answer could not be decrypted: wrong privacy passphrase or protocol");
                return true;
            }
        }
        else
        {
            scoped = message.ScopedPdu!;
        }

        if (scoped.Pdu.Type == PduType.Report)
        {
            failure = UsmReports.ToException(scoped.Pdu, _user.Name);
            if (failure.Failure == SnmpFailure.NotInTimeWindow && authenticated)
            {
                Synchronise(message.Security.EngineBoots, message.Security.EngineTime);
            }

            return true;
        }

        if (scoped.Pdu.Type != PduType.Response || scoped.Pdu.RequestId != requestId)
        {
            return false;
        }

        if (_keys is not null && !authenticated)
        {
            // A response must come at the level we asked for; an unauthenticated one could be forged.
            unauthenticated = true;
            return false;
        }

        if (authenticated)
        {
            Synchronise(message.Security.EngineBoots, message.Security.EngineTime);
        }

        answer = scoped.Pdu;
        return true;
    }

    private void Synchronise(int boots, int time)
    {
        _engineBoots = boots;
        _engineTime = time;
        _syncedAt = _time.GetTimestamp();
    }

    private int EstimatedEngineTime()
    {
        var elapsed = _time.GetElapsedTime(_syncedAt).TotalSeconds;
        return (int)Math.Min(int.MaxValue, _engineTime + elapsed);
    }

    public override string ToString() => $"UsmClient(v3, {_user})";
}
