namespace FlowExporter.Correlator.CaptureFiles;

/// <summary>
/// One frame as a capture (live or file) delivered it. <see cref="Data"/> is valid only until the next frame is read.
/// </summary>
public readonly ref struct CapturedFrame
{
    public CapturedFrame(int interfaceId, int linkType, long timestampNanoseconds, int wireLength, ReadOnlySpan<byte> data)
    {
        InterfaceId = interfaceId;
        LinkType = linkType;
        TimestampNanoseconds = timestampNanoseconds;
        WireLength = wireLength;
        Data = data;
    }

    /// <summary>Index of the capture interface within its source (pcapng interface id; 0 for classic pcap).</summary>
    public int InterfaceId { get; }

    public int LinkType { get; }

    /// <summary>Capture time as nanoseconds since the Unix epoch.</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>The frame's original length on the wire (pcap <c>orig_len</c>), not the captured length.</summary>
    public int WireLength { get; }

    /// <summary>The captured bytes (at most the snap length).</summary>
    public ReadOnlySpan<byte> Data { get; }
}
