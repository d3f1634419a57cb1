namespace FlowExporter.Correlator.Snmp;

/// <summary>SNMPv2c: the community travels in every message; an answer must carry the same community and request ID.</summary>
public sealed class CommunityClient : SnmpClient
{
    private readonly byte[] _community;

    public CommunityClient(ISnmpTransport transport, byte[] community, int firstRequestId)
        : base(transport, firstRequestId) => _community = community;

    public override async Task<Pdu> SendAsync(Pdu request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var datagram = new CommunityMessage(CommunityMessage.Version2c, _community, request).Encode();
        Pdu? answer = null;
        var malformed = false;
        try
        {
            await Transport.ExchangeAsync(datagram, received =>
            {
                try
                {
                    var message = CommunityMessage.Decode(received.Span);
                    if (message.Version != CommunityMessage.Version2c || message.Pdu.Type != PduType.Response
                        || message.Pdu.RequestId != request.RequestId || !message.Community.AsSpan().SequenceEqual(_community))
                    {
                        return false;
                    }

                    answer = message.Pdu;
                    return true;
                }
                catch (SnmpDecodeException)
                {
                    malformed = true;
                    CountMalformed();
                    return false;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SnmpRequestException ex) when (malformed && ex.Failure == SnmpFailure.Timeout)
        {
            throw new SnmpRequestException(SnmpFailure.MalformedResponse, "the agent answered only with malformed datagrams");
        }

        return answer!;
    }

    public override string ToString() => "CommunityClient(v2c)";
}
