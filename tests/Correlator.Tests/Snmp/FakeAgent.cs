using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Correlator.Tests.Snmp;

/// <summary>
/// An in-memory SNMPv2c agent behind <see cref="ISnmpTransport"/>: answers Get, GetNext and GetBulk from a sorted MIB,
/// with knobs for misbehaviour (stale answers first, truncated bulk answers, tooBig, OIDs that go backwards).
/// </summary>
internal sealed class FakeAgent : ISnmpTransport
{
    private readonly SortedDictionary<Oid, SnmpValue> _mib;
    private Oid[] _oids = [];
    private SnmpValue[] _values = [];

    public FakeAgent(IReadOnlyDictionary<Oid, SnmpValue> mib)
    {
        _mib = new SortedDictionary<Oid, SnmpValue>(mib.ToDictionary(p => p.Key, p => p.Value));
        Rebuild();
    }

    /// <summary>Adds or changes a row, as an agent does when an interface appears or a counter moves.</summary>
    public void Set(Oid oid, SnmpValue value)
    {
        _mib[oid] = value;
        Rebuild();
    }

    private void Rebuild()
    {
        _oids = _mib.Keys.ToArray();
        _values = _mib.Values.ToArray();
    }

    public int Requests { get; private set; }

    public int MaxBindingsPerResponse { get; init; } = int.MaxValue;

    public int TooBigAboveRepetitions { get; init; } = int.MaxValue;

    public bool SendStaleAndDuplicateFirst { get; init; }

    public Oid? GoBackwardsAfter { get; init; }

    public int StaleAnswersIgnored { get; private set; }

    public Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, Func<ReadOnlyMemory<byte>, bool> isAnswer, CancellationToken cancellationToken)
    {
        Requests++;
        var message = CommunityMessage.Decode(request.Span);
        var response = Answer(message.Pdu);
        if (SendStaleAndDuplicateFirst)
        {
            var stale = new CommunityMessage(message.Version, message.Community, response with { RequestId = message.Pdu.RequestId - 1 }).Encode();
            var wrongCommunity = new CommunityMessage(message.Version, "other"u8.ToArray(), response).Encode();
            foreach (var datagram in new[] { stale, wrongCommunity, [0x30, 0x03, 0x02, 0x01] })
            {
                if (isAnswer(datagram))
                {
                    throw new InvalidOperationException("a stale, foreign or broken datagram was accepted");
                }

                StaleAnswersIgnored++;
            }
        }

        var bytes = new CommunityMessage(message.Version, message.Community, response).Encode();
        if (!isAnswer(bytes))
        {
            throw new SnmpRequestException(SnmpFailure.Timeout, "the answer was not accepted");
        }

        return Task.FromResult(bytes);
    }

    private Pdu Answer(Pdu request)
    {
        var bindings = new List<VarBind>();
        switch (request.Type)
        {
            case PduType.GetRequest:
                foreach (var b in request.VarBinds)
                {
                    var i = Array.BinarySearch(_oids, b.Oid);
                    bindings.Add(new VarBind(b.Oid, i >= 0 ? _values[i] : SnmpValue.Exception(SnmpType.NoSuchInstance)));
                }

                break;
            case PduType.GetNextRequest:
                bindings.AddRange(request.VarBinds.Select(b => Next(b.Oid)));
                break;
            case PduType.GetBulkRequest:
                if (request.ErrorIndex > TooBigAboveRepetitions)
                {
                    return new Pdu(PduType.Response, request.RequestId, 1, 0, []);
                }

                var cursors = request.VarBinds.Select(b => b.Oid).ToArray();
                for (var r = 0; r < request.ErrorIndex && bindings.Count < MaxBindingsPerResponse; r++)
                {
                    for (var j = 0; j < cursors.Length && bindings.Count < MaxBindingsPerResponse; j++)
                    {
                        var next = Next(cursors[j]);
                        bindings.Add(next);
                        cursors[j] = next.Oid;
                    }
                }

                break;
            default:
                throw new InvalidOperationException("unexpected PDU");
        }

        return new Pdu(PduType.Response, request.RequestId, 0, 0, bindings);
    }

    private VarBind Next(Oid oid)
    {
        if (GoBackwardsAfter is not null && oid.CompareTo(GoBackwardsAfter) >= 0)
        {
            return new VarBind(GoBackwardsAfter, SnmpValue.Integer(1));
        }

        var i = Array.BinarySearch(_oids, oid);
        i = i >= 0 ? i + 1 : ~i;
        return i < _oids.Length ? new VarBind(_oids[i], _values[i]) : new VarBind(oid, SnmpValue.Exception(SnmpType.EndOfMibView));
    }
}
