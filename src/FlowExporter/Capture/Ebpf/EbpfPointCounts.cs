namespace FlowExporter.Capture.Ebpf;

/// <summary>One eBPF capture point's interface id and the packets (segments) the program counted on it.</summary>
public sealed class EbpfPointCounts(ushort interfaceId)
{
    private long _received;

    public ushort InterfaceId { get; } = interfaceId;

    public long Received => Interlocked.Read(ref _received);

    public void Add(ulong packets) => Interlocked.Add(ref _received, (long)packets);
}
