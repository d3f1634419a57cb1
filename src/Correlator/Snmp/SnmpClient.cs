namespace FlowExporter.Correlator.Snmp;

/// <summary>Get, GetNext and GetBulk against one agent; the version-specific part is how a PDU travels.</summary>
public abstract class SnmpClient
{
    private int _nextRequestId;
    private long _malformed;

    protected SnmpClient(ISnmpTransport transport, int firstRequestId)
    {
        Transport = transport;
        _nextRequestId = firstRequestId & 0x3fff_ffff;
    }

    protected ISnmpTransport Transport { get; }

    /// <summary>Datagrams received from the agent that could not be decoded (ignored while waiting for the real answer).</summary>
    public long MalformedDatagrams => Interlocked.Read(ref _malformed);

    public Task<Pdu> GetAsync(IEnumerable<Oid> oids, CancellationToken cancellationToken) =>
        SendAsync(Pdu.Get(NextRequestId(), oids), cancellationToken);

    public Task<Pdu> GetNextAsync(IEnumerable<Oid> oids, CancellationToken cancellationToken) =>
        SendAsync(Pdu.GetNext(NextRequestId(), oids), cancellationToken);

    public Task<Pdu> GetBulkAsync(int nonRepeaters, int maxRepetitions, IEnumerable<Oid> oids, CancellationToken cancellationToken) =>
        SendAsync(Pdu.GetBulk(NextRequestId(), nonRepeaters, maxRepetitions, oids), cancellationToken);

    /// <summary>Sends a request PDU and returns the agent's Response PDU (its error status may be non-zero).</summary>
    public abstract Task<Pdu> SendAsync(Pdu request, CancellationToken cancellationToken);

    protected void CountMalformed() => Interlocked.Increment(ref _malformed);

    /// <summary>
    /// Sends a datagram and returns the first answer <paramref name="accept"/> takes (non-null). Datagrams that do not
    /// decode are counted and skipped; a timeout after nothing but such datagrams is a malformed response.
    /// </summary>
    protected async Task<T> ExchangeAsync<T>(ReadOnlyMemory<byte> datagram, Func<ReadOnlyMemory<byte>, T?> accept, string malformedMessage, CancellationToken cancellationToken)
        where T : class
    {
        T? answer = null;
        var malformed = false;
        try
        {
            await Transport.ExchangeAsync(datagram, received =>
            {
                try
                {
                    answer = accept(received);
                    return answer is not null;
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
            throw new SnmpRequestException(SnmpFailure.MalformedResponse, malformedMessage);
        }

        return answer!;
    }

    protected int NextRequestId()
    {
        var id = Interlocked.Increment(ref _nextRequestId) & 0x3fff_ffff;
        return id == 0 ? NextRequestId() : id;
    }
}
