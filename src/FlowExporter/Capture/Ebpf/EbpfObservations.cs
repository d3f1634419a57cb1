using FlowExporter.Correlator.Connections;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Turns a sweep's samples into the connection table's observations: the kernel's interface index becomes the capture
/// point's interface id, the times become Unix nanoseconds, and the sides are put in <see cref="ConnectionKey"/>'s
/// canonical order (the program already keys them so; ordering again costs nothing and keeps the rule in one place).
/// </summary>
public static class EbpfObservations
{
    /// <summary>The observation of one sample, or false when its interface is not a capture point of ours.</summary>
    public static bool TryFrom(in EbpfConnectionSample sample, Func<int, ushort?> interfaceId, Func<long, long> toUnixNanoseconds, out ConnectionObservation observation)
    {
        ArgumentNullException.ThrowIfNull(interfaceId);
        ArgumentNullException.ThrowIfNull(toUnixNanoseconds);
        if (interfaceId(sample.InterfaceIndex) is not { } id)
        {
            observation = default;
            return false;
        }

        var key = ConnectionKey.Of(id, sample.Protocol, sample.AddressA, sample.PortA, sample.AddressB, sample.PortB, out var sampleAIsA);
        var firstSenderIsSampleA = !sample.FirstFromB;
        observation = new ConnectionObservation(
            key,
            sampleAIsA ? firstSenderIsSampleA : !firstSenderIsSampleA,
            sample.FirstPacketFlags,
            toUnixNanoseconds(sample.FirstSeenNanoseconds),
            toUnixNanoseconds(sample.LastSeenNanoseconds))
        {
            BytesFromA = sampleAIsA ? sample.BytesFromA : sample.BytesFromB,
            PacketsFromA = sampleAIsA ? sample.PacketsFromA : sample.PacketsFromB,
            BytesFromB = sampleAIsA ? sample.BytesFromB : sample.BytesFromA,
            PacketsFromB = sampleAIsA ? sample.PacketsFromB : sample.PacketsFromA,
            FlagsFromA = sampleAIsA ? sample.TcpFlagsFromA : sample.TcpFlagsFromB,
            FlagsFromB = sampleAIsA ? sample.TcpFlagsFromB : sample.TcpFlagsFromA,
            IpBytesFromA = sampleAIsA ? sample.IpBytesFromA : sample.IpBytesFromB,
            IpBytesFromB = sampleAIsA ? sample.IpBytesFromB : sample.IpBytesFromA,
            VlanId = sample.VlanId,
            Quality = sampleAIsA ? sample.Quality : sample.Quality.Swapped(),
        };
        return true;
    }
}
