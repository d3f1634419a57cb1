using System.Buffers.Binary;
using System.Text;

namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// Builds IPFIX messages (RFC 7011) for one transport session: the 16-byte header, a template set with
/// <see cref="FlowTemplates"/>, then data sets of flow records, each message at most <c>maxMessageSize</c> bytes (a
/// record too large for any message goes alone in one). The sequence number counts the data records sent before each
/// message in this session, as §3.1 asks. Reuses one buffer; not thread-safe.
/// </summary>
public sealed class IpfixMessageWriter
{
    public const int HeaderLength = 16;
    private const int SetHeaderLength = 4;
    private const ushort TemplateSetId = 2;
    /// <summary>Longer strings are cut (Kubernetes names are at most 253 bytes): any record then fits in a message.</summary>
    private const int MaxStringBytes = 1024;

    private readonly uint _observationDomainId;
    private readonly uint _enterpriseNumber;
    private readonly int _maxMessageSize;
    private readonly byte[] _buffer = new byte[0xFFFF];
    private readonly int _ipv4FixedLength;
    private readonly int _ipv6FixedLength;
    private int _length;
    private int _setStart = -1;
    private ushort _setId;
    private uint _recordsInMessage;

    public IpfixMessageWriter(uint observationDomainId, uint enterpriseNumber, int maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 512);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessageSize, 0xFFFF);
        _observationDomainId = observationDomainId;
        _enterpriseNumber = enterpriseNumber;
        _maxMessageSize = maxMessageSize;
        _ipv4FixedLength = FixedLength(FlowTemplates.Fields(ipv6: false, enterpriseNumber));
        _ipv6FixedLength = FixedLength(FlowTemplates.Fields(ipv6: true, enterpriseNumber));
        Reset();
    }

    /// <summary>Data records sent in this session before the message being built (the next header's sequence number).</summary>
    public uint SequenceNumber { get; private set; }

    /// <summary>Data records in the message being built.</summary>
    public int RecordCount => (int)_recordsInMessage;

    /// <summary>True when the message being built holds nothing yet.</summary>
    public bool IsEmpty => _length == HeaderLength;

    /// <summary>Adds the template set (both templates); call it on an empty message.</summary>
    public void AddTemplates()
    {
        CloseSet();
        OpenSet(TemplateSetId);
        WriteTemplate(FlowTemplates.Ipv4TemplateId, FlowTemplates.Fields(ipv6: false, _enterpriseNumber));
        WriteTemplate(FlowTemplates.Ipv6TemplateId, FlowTemplates.Fields(ipv6: true, _enterpriseNumber));
        CloseSet();
    }

    /// <summary>
    /// Adds a record; false when it does not fit in this message (finish it and add the record to the next). A record
    /// always fits in a message without records.
    /// </summary>
    public bool TryAdd(in FlowRecord record, in FlowRecordNames names)
    {
        var templateId = record.Source.IsV6 || record.Destination.IsV6 ? FlowTemplates.Ipv6TemplateId : FlowTemplates.Ipv4TemplateId;
        var (savedLength, savedSetStart, savedSetId) = (_length, _setStart, _setId);
        if (_setId != templateId)
        {
            CloseSet();
            OpenSet(templateId);
        }

        var needed = (templateId == FlowTemplates.Ipv6TemplateId ? _ipv6FixedLength : _ipv4FixedLength) + StringsLength(names);
        if (_length + needed > _buffer.Length || (_length + needed > _maxMessageSize && _recordsInMessage > 0))
        {
            (_length, _setStart, _setId) = (savedLength, savedSetStart, savedSetId);
            return false;
        }

        WriteRecord(record, names);
        _recordsInMessage++;
        return true;
    }

    /// <summary>Closes the message (export time in seconds since the Unix epoch) and starts the next one.</summary>
    /// <returns>The message; valid until the next call on this writer.</returns>
    public ReadOnlyMemory<byte> Finish(long exportTimeSeconds)
    {
        CloseSet();
        var message = _buffer.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(message, 10);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)_length);
        BinaryPrimitives.WriteUInt32BigEndian(message[4..], (uint)exportTimeSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(message[8..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(message[12..], _observationDomainId);
        var result = new ReadOnlyMemory<byte>(_buffer, 0, _length);
        SequenceNumber += _recordsInMessage;
        Reset();
        return result;
    }

    private void Reset()
    {
        _length = HeaderLength;
        _setStart = -1;
        _setId = 0;
        _recordsInMessage = 0;
    }

    private void OpenSet(ushort id)
    {
        _setStart = _length;
        _setId = id;
        _length += SetHeaderLength;
    }

    private void CloseSet()
    {
        if (_setStart < 0)
        {
            return;
        }

        var set = _buffer.AsSpan(_setStart);
        BinaryPrimitives.WriteUInt16BigEndian(set, _setId);
        BinaryPrimitives.WriteUInt16BigEndian(set[2..], (ushort)(_length - _setStart));
        _setStart = -1;
        _setId = 0;
    }

    private void WriteTemplate(ushort templateId, IReadOnlyList<InformationElement> fields)
    {
        WriteUInt16(templateId);
        WriteUInt16((ushort)fields.Count);
        foreach (var field in fields)
        {
            WriteUInt16((ushort)(field.IsEnterprise ? field.Id | 0x8000 : field.Id));
            WriteUInt16(field.Length);
            if (field.IsEnterprise)
            {
                WriteUInt32(field.EnterpriseNumber);
            }
        }
    }

    /// <summary>The fixed-length part of a record of a template (every field but the strings).</summary>
    private static int FixedLength(IReadOnlyList<InformationElement> fields) =>
        fields.Where(f => f.Length != InformationElement.VariableLength).Sum(f => f.Length);

    private static int StringsLength(in FlowRecordNames names) =>
        StringLength(names.InterfaceName)
        + StringLength(names.Source.Namespace) + StringLength(names.Source.Pod)
        + StringLength(names.Destination.Namespace) + StringLength(names.Destination.Pod)
        + StringLength(names.Source.Node) + StringLength(names.Destination.Node)
        + StringLength(names.Node)
        + StringLength(names.Source.WorkloadKind) + StringLength(names.Source.Workload)
        + StringLength(names.Destination.WorkloadKind) + StringLength(names.Destination.Workload);

    private static int StringLength(string value)
    {
        var bytes = Math.Min(Encoding.UTF8.GetByteCount(value), MaxStringBytes);
        return bytes + (bytes < 255 ? 1 : 3);
    }

    private void WriteRecord(in FlowRecord record, in FlowRecordNames names)
    {
        _length += record.Source.WriteBytes(_buffer.AsSpan(_length));
        _length += record.Destination.WriteBytes(_buffer.AsSpan(_length));
        WriteUInt16(record.SourcePort);
        WriteUInt16(record.DestinationPort);
        _buffer[_length++] = record.Protocol;
        WriteUInt64((ulong)(record.StartNanoseconds / 1_000_000));
        WriteUInt64((ulong)(record.EndNanoseconds / 1_000_000));
        WriteUInt64(record.Forward.IpOctets);
        WriteUInt64(record.Forward.Packets);
        WriteUInt64(record.Forward.Layer2Octets);
        WriteUInt64(record.Reverse.IpOctets);
        WriteUInt64(record.Reverse.Packets);
        WriteUInt64(record.Reverse.Layer2Octets);
        WriteUInt16(record.Forward.TcpFlags);
        WriteUInt16(record.Reverse.TcpFlags);
        _buffer[_length++] = (byte)record.EndReason;
        _buffer[_length++] = 1; // biflowDirection: initiator (the source is the initiator)
        WriteUInt16(record.VlanId);
        WriteString(names.InterfaceName);
        WriteString(names.Source.Namespace);
        WriteString(names.Source.Pod);
        WriteString(names.Destination.Namespace);
        WriteString(names.Destination.Pod);
        WriteString(names.Source.Node);
        WriteString(names.Destination.Node);
        WriteString(names.Node);
        WriteString(names.Source.WorkloadKind);
        WriteString(names.Source.Workload);
        WriteString(names.Destination.WorkloadKind);
        WriteString(names.Destination.Workload);
        WriteUInt32((uint)Math.Clamp(record.HandshakeRttNanoseconds / 1000, 0, uint.MaxValue));
        _buffer[_length++] = (byte)record.Evidence;
        WriteUInt32((uint)Math.Min(record.Forward.Retransmissions, uint.MaxValue));
        WriteUInt32((uint)Math.Min(record.Reverse.Retransmissions, uint.MaxValue));
    }

    /// <summary>
    /// RFC 7011 §7: one length byte below 255, else 255 and a two-byte length; UTF-8, cut at a character boundary when
    /// longer than <see cref="MaxStringBytes"/>.
    /// </summary>
    private void WriteString(string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxStringBytes)
        {
            var chars = value.Length;
            while (Encoding.UTF8.GetByteCount(value.AsSpan(0, chars)) > MaxStringBytes)
            {
                chars--;
            }

            value = value[..chars];
            bytes = Encoding.UTF8.GetByteCount(value);
        }

        if (bytes < 255)
        {
            _buffer[_length++] = (byte)bytes;
        }
        else
        {
            _buffer[_length++] = 255;
            WriteUInt16((ushort)bytes);
        }

        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    private void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    private void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    private void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }
}
