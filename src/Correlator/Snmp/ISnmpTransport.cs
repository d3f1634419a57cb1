namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// Carries one request datagram to one agent and returns the first answer that <c>isAnswer</c> accepts; datagrams it
/// rejects (late answers to earlier requests, duplicates, garbage) are dropped. The implementation owns timeouts and
/// retries and throws <see cref="SnmpRequestException"/> (timeout, port unreachable) when no answer comes.
/// </summary>
public interface ISnmpTransport
{
    Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, Func<ReadOnlyMemory<byte>, bool> isAnswer, CancellationToken cancellationToken);
}
