using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Capture;

/// <summary>What the pipeline saw on one capture interface: frames, wire bytes, and what it could not account.</summary>
public sealed class InterfaceCaptureStats
{
    private readonly long[] _malformed = new long[Enum.GetValues<DecodeResult>().Length];
    private readonly long[] _ignored = new long[Enum.GetValues<IgnoredReason>().Length];

    public long Packets { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Frames that could not be decoded, by reason (the non-IP results of the decoder).</summary>
    public long Malformed(DecodeResult reason) => _malformed[(int)reason];

    public long Ignored(IgnoredReason reason) => _ignored[(int)reason];

    internal void Count(int wireLength)
    {
        Packets++;
        Bytes += wireLength;
    }

    internal void CountMalformed(DecodeResult reason) => _malformed[(int)reason]++;

    internal void CountIgnored(IgnoredReason reason) => _ignored[(int)reason]++;

    internal void CountIgnored(IgnoredReason reason, ulong packets) => _ignored[(int)reason] += (long)packets;

    public InterfaceCaptureStats Copy()
    {
        var copy = new InterfaceCaptureStats { Packets = Packets, Bytes = Bytes };
        _malformed.CopyTo(copy._malformed, 0);
        _ignored.CopyTo(copy._ignored, 0);
        return copy;
    }
}
