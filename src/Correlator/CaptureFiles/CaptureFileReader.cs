using System.Buffers.Binary;
using System.Text;

namespace FlowExporter.Correlator.CaptureFiles;

/// <summary>
/// Reads classic pcap (either byte order, micro- or nanosecond) and pcapng (every section and interface, each with its
/// own link type and timestamp resolution) from a stream. libpcap itself refuses pcapng files whose interfaces have
/// different link types, which is why files are read here. A file that ends in the middle of a record, or whose block
/// structure breaks, stops the reading: <see cref="Problem"/> then says where and why.
/// </summary>
public sealed class CaptureFileReader
{
    private const int MaxRecordBytes = 64 * 1024 * 1024;
    private const uint PcapMagic = 0xA1B2C3D4;
    private const uint PcapNanoMagic = 0xA1B23C4D;
    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    private readonly StreamWindow _window;
    private readonly List<CaptureInterface> _interfaces = [];
    private readonly List<TimestampResolution> _resolutions = [];
    private int _sectionFirstInterface;
    private bool _bigEndian;
    private bool _finished;

    private CaptureFileReader(StreamWindow window, CaptureFileFormat format)
    {
        _window = window;
        Format = format;
    }

    public CaptureFileFormat Format { get; }

    /// <summary>Interfaces seen so far (pcapng adds them as their description blocks are read).</summary>
    public IReadOnlyList<CaptureInterface> Interfaces => _interfaces;

    /// <summary>Why reading stopped before the end of the file, or null when it reached a clean end.</summary>
    public string? Problem { get; private set; }

    /// <summary>True when the file was cut short inside a record (a capture stopped while writing).</summary>
    public bool CutShort { get; private set; }

    /// <summary>Opens a capture stream, reading its file header; throws <see cref="CaptureFileException"/> for anything else.</summary>
    public static CaptureFileReader Open(Stream stream)
    {
        var window = new StreamWindow(stream, 1 << 20, MaxRecordBytes);
        if (!window.TryPeek(4, out var magicBytes))
        {
            throw new CaptureFileException("not a capture file: shorter than any capture file header");
        }

        var magicLe = BinaryPrimitives.ReadUInt32LittleEndian(magicBytes);
        var magicBe = BinaryPrimitives.ReadUInt32BigEndian(magicBytes);
        if (magicLe == SectionHeaderBlock)
        {
            var reader = new CaptureFileReader(window, CaptureFileFormat.PcapNg);
            reader.ReadFirstSection();
            return reader;
        }

        foreach (var (magic, bigEndian) in new[] { (magicLe, false), (magicBe, true) })
        {
            if (magic is PcapMagic or PcapNanoMagic)
            {
                var format = magic == PcapNanoMagic ? CaptureFileFormat.PcapNanosecond : CaptureFileFormat.Pcap;
                var reader = new CaptureFileReader(window, format) { _bigEndian = bigEndian };
                reader.ReadPcapHeader();
                return reader;
            }
        }

        throw new CaptureFileException($"not a capture file: unknown magic number 0x{magicBe:x8} (expected pcap or pcapng)");
    }

    /// <summary>Reads the next frame; false at the end of the file or when the file cannot be read further.</summary>
    public bool TryReadNext(out CapturedFrame frame)
    {
        frame = default;
        if (_finished)
        {
            return false;
        }

        return Format == CaptureFileFormat.PcapNg ? TryReadBlock(out frame) : TryReadPcapRecord(out frame);
    }

    private uint U32(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);

    private ushort U16(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);

    private void ReadPcapHeader()
    {
        if (!_window.TryTake(24, out var header, out _))
        {
            throw new CaptureFileException("not a capture file: pcap file header is cut short");
        }

        var snapLength = (int)Math.Min(U32(header[16..]), int.MaxValue);
        var linkType = (int)(U32(header[20..]) & 0x0000FFFF);
        _interfaces.Add(new CaptureInterface(0, linkType, null, snapLength));
    }

    private bool TryReadPcapRecord(out CapturedFrame frame)
    {
        frame = default;
        if (!_window.TryTake(16, out var header, out var left))
        {
            return Stop(left == 0 ? null : $"cut short inside a record header at offset {_window.Position}", cutShort: left != 0);
        }

        var seconds = U32(header);
        var fraction = U32(header[4..]);
        var captured = U32(header[8..]);
        var original = U32(header[12..]);
        if (captured > MaxRecordBytes)
        {
            return Stop($"record at offset {_window.Position - 16} claims {captured} captured bytes", cutShort: false);
        }

        if (!_window.TryTake((int)captured, out var data, out _))
        {
            return Stop($"cut short inside a packet at offset {_window.Position}", cutShort: true);
        }

        var nanoseconds = (seconds * 1_000_000_000L) + (Format == CaptureFileFormat.PcapNanosecond ? fraction : fraction * 1_000L);
        var wire = (int)Math.Min(Math.Max(original, captured), int.MaxValue);
        frame = new CapturedFrame(0, _interfaces[0].LinkType, nanoseconds, wire, data);
        return true;
    }

    private void ReadFirstSection()
    {
        if (!TryTakeBlock(out var type, out var body))
        {
            throw new CaptureFileException("not a capture file: pcapng section header is cut short or malformed" + (Problem is null ? string.Empty : $" ({Problem})"));
        }

        if (type != SectionHeaderBlock)
        {
            throw new CaptureFileException("not a capture file: pcapng file does not start with a section header");
        }

        StartSection(body);
    }

    private void StartSection(ReadOnlySpan<byte> body)
    {
        _sectionFirstInterface = _interfaces.Count;
        _resolutions.Clear();
        if (body.Length < 16)
        {
            throw new CaptureFileException("pcapng section header block is too short");
        }
    }

    private bool TryReadBlock(out CapturedFrame frame)
    {
        frame = default;
        while (TryTakeBlock(out var type, out var body))
        {
            switch (type)
            {
                case SectionHeaderBlock:
                    try
                    {
                        StartSection(body);
                    }
                    catch (CaptureFileException ex)
                    {
                        return Stop(ex.Message, cutShort: false);
                    }

                    break;
                case 1:
                    ReadInterfaceDescription(body);
                    break;
                case 6:
                    if (TryEnhancedPacket(body, out frame))
                    {
                        return true;
                    }

                    if (_finished)
                    {
                        return false;
                    }

                    break;
                case 3:
                    if (TrySimplePacket(body, out frame))
                    {
                        return true;
                    }

                    if (_finished)
                    {
                        return false;
                    }

                    break;
                case 2:
                    if (TryObsoletePacket(body, out frame))
                    {
                        return true;
                    }

                    if (_finished)
                    {
                        return false;
                    }

                    break;
                default:
                    // Name resolution, statistics, secrets, custom and unknown blocks carry no packets.
                    break;
            }
        }

        return false;
    }

    /// <summary>Reads one pcapng block; sets the section byte order when it is a section header.</summary>
    private bool TryTakeBlock(out uint type, out ReadOnlySpan<byte> body)
    {
        body = default;
        type = 0;
        if (!_window.TryPeek(12, out var head))
        {
            _window.TryPeek(1, out var any);
            return Stop(any.IsEmpty ? null : $"cut short inside a block header at offset {_window.Position}", cutShort: !any.IsEmpty);
        }

        type = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (type == SectionHeaderBlock)
        {
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
            if (magic == ByteOrderMagic)
            {
                _bigEndian = false;
            }
            else if (BinaryPrimitives.ReverseEndianness(magic) == ByteOrderMagic)
            {
                _bigEndian = true;
            }
            else
            {
                return Stop($"section header at offset {_window.Position} has a bad byte-order magic", cutShort: false);
            }
        }
        else
        {
            type = U32(head);
        }

        var length = U32(head[4..]);
        if (length < 12 || length % 4 != 0 || length > MaxRecordBytes)
        {
            return Stop($"block at offset {_window.Position} has an impossible length {length}", cutShort: false);
        }

        if (!_window.TryTake((int)length, out var block, out _))
        {
            return Stop($"cut short inside a block at offset {_window.Position}", cutShort: true);
        }

        if (U32(block[^4..]) != length)
        {
            return Stop($"block at offset {_window.Position - length} has mismatched length fields", cutShort: false);
        }

        body = block[8..^4];
        return true;
    }

    private void ReadInterfaceDescription(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8)
        {
            Stop($"interface description block before offset {_window.Position} is too short", cutShort: false);
            return;
        }

        var linkType = U16(body);
        var snapLength = (int)Math.Min(U32(body[4..]), int.MaxValue);
        string? name = null;
        var resolution = TimestampResolution.Microseconds;
        var offsetSeconds = 0L;
        var options = body[8..];
        while (options.Length >= 4)
        {
            var code = U16(options);
            var length = U16(options[2..]);
            if (code == 0 || options.Length < 4 + length)
            {
                break;
            }

            var value = options.Slice(4, length);
            switch (code)
            {
                case 2:
                    name = Encoding.UTF8.GetString(value).TrimEnd('\0');
                    break;
                case 9 when length >= 1:
                    resolution = new TimestampResolution(value[0]);
                    break;
                case 14 when length >= 8:
                    offsetSeconds = (long)(_bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value));
                    break;
                default:
                    break;
            }

            options = options[Math.Min(options.Length, 4 + ((length + 3) & ~3))..];
        }

        _resolutions.Add(resolution with { OffsetSeconds = offsetSeconds });
        _interfaces.Add(new CaptureInterface(_interfaces.Count, linkType, string.IsNullOrEmpty(name) ? null : name, snapLength));
    }

    private bool TryEnhancedPacket(ReadOnlySpan<byte> body, out CapturedFrame frame)
    {
        frame = default;
        if (body.Length < 20)
        {
            return Stop($"enhanced packet block before offset {_window.Position} is too short", cutShort: false);
        }

        var interfaceId = U32(body);
        var timestamp = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
        var captured = U32(body[12..]);
        var original = U32(body[16..]);
        if (captured > body.Length - 20)
        {
            return Stop($"enhanced packet block before offset {_window.Position} claims more data than it holds", cutShort: false);
        }

        return TryFrame(interfaceId, timestamp, original, body.Slice(20, (int)captured), out frame);
    }

    private bool TryObsoletePacket(ReadOnlySpan<byte> body, out CapturedFrame frame)
    {
        frame = default;
        if (body.Length < 20)
        {
            return Stop($"packet block before offset {_window.Position} is too short", cutShort: false);
        }

        var interfaceId = U16(body);
        var timestamp = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
        var captured = U32(body[12..]);
        var original = U32(body[16..]);
        if (captured > body.Length - 20)
        {
            return Stop($"packet block before offset {_window.Position} claims more data than it holds", cutShort: false);
        }

        return TryFrame(interfaceId, timestamp, original, body.Slice(20, (int)captured), out frame);
    }

    private bool TrySimplePacket(ReadOnlySpan<byte> body, out CapturedFrame frame)
    {
        frame = default;
        if (body.Length < 4 || _interfaces.Count == _sectionFirstInterface)
        {
            return Stop($"simple packet block before offset {_window.Position} is malformed or has no interface", cutShort: false);
        }

        var original = U32(body);
        var snap = _interfaces[_sectionFirstInterface].SnapLength;
        var captured = (int)Math.Min(Math.Min(original, (uint)(body.Length - 4)), snap == 0 ? int.MaxValue : (uint)snap);

        // A simple packet block has no timestamp.
        return TryFrame(0, 0, original, body.Slice(4, captured), out frame, hasTimestamp: false);
    }

    private bool TryFrame(uint sectionInterfaceId, ulong timestamp, uint original, ReadOnlySpan<byte> data, out CapturedFrame frame, bool hasTimestamp = true)
    {
        frame = default;
        var index = _sectionFirstInterface + (long)sectionInterfaceId;
        if (sectionInterfaceId >= _resolutions.Count || index >= _interfaces.Count)
        {
            return Stop($"packet before offset {_window.Position} names interface {sectionInterfaceId}, which was not described", cutShort: false);
        }

        var captureInterface = _interfaces[(int)index];
        var nanoseconds = hasTimestamp ? _resolutions[(int)sectionInterfaceId].ToNanoseconds(timestamp) : 0;
        var wire = (int)Math.Min(Math.Max(original, (uint)data.Length), int.MaxValue);
        frame = new CapturedFrame(captureInterface.Id, captureInterface.LinkType, nanoseconds, wire, data);
        return true;
    }

    private bool Stop(string? problem, bool cutShort)
    {
        _finished = true;
        Problem = problem;
        CutShort = cutShort;
        return false;
    }
}
