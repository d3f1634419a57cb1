using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Capture;

#pragma warning disable CA1051 // Fields on purpose: filled in place by the decoder, batch after batch.

/// <summary>
/// A frame decoded ahead of its accounting (a replayed file is read and decoded on one thread while the table works on
/// another): what <see cref="CapturePipeline.Account"/> needs of it. A mutable struct on purpose: batches are arrays of
/// these, filled in place by the decoder, so no frame allocates.
/// </summary>
public struct DecodedFrame
{
    /// <summary>Index of the capture interface within its file (pcapng interface id; 0 for classic pcap).</summary>
    public int InterfaceId;

    /// <summary>The frame's length on the wire.</summary>
    public int WireLength;

    /// <summary>Capture time as nanoseconds since the Unix epoch.</summary>
    public long TimestampNanoseconds;

    public DecodeResult Result;

    public DecodedPacket Packet;
}
