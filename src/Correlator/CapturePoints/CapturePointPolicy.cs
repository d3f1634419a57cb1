namespace FlowExporter.Correlator.CapturePoints;

/// <summary>
/// The bounds and sizes a plan is made with: at most <see cref="MaxPoints"/> points (<c>capture.max_points</c>), and
/// the kernel ring (libpcap buffer) given to each point by role. 200 pod ports with the uplink's 16 MiB would pin
/// 3.2 GiB of ring; at 1 MiB each they pin 200 MiB.
/// </summary>
public sealed record CapturePointPolicy(int MaxPoints, int UplinkBufferBytes, int PodPortBufferBytes)
{
    public const int DefaultMaxPoints = 512;
    public const int DefaultUplinkBufferBytes = 16 * 1024 * 1024;
    public const int DefaultPodPortBufferBytes = 1024 * 1024;

    public static CapturePointPolicy Default { get; } = new(DefaultMaxPoints, DefaultUplinkBufferBytes, DefaultPodPortBufferBytes);

    public int BufferBytes(CapturePointRole role) => role == CapturePointRole.Uplink ? UplinkBufferBytes : PodPortBufferBytes;
}
