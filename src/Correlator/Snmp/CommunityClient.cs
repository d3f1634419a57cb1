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
        return await ExchangeAsync(
            datagram,
            received =>
            {
                var message = CommunityMessage.Decode(received.Span);
                return message.Version == CommunityMessage.Version2c && message.Pdu.Type == PduType.Response
                    && message.Pdu.RequestId == request.RequestId && message.Community.AsSpan().SequenceEqual(_community)
                    ? message.Pdu
                    : null;
            },
            "the agent answered only with malformed datagrams",
            cancellationToken).ConfigureAwait(false);
    }

    public override string ToString() => "CommunityClient(v2c)";
}
