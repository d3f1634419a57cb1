using System.Collections.Concurrent;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Which capture point (the connection table's interface id) each kernel interface index the program counts on
/// belongs to, and the packets counted there; written by attaches (any thread), read by the sweep. An index is not
/// forgotten when its point closes: the last interval's counts still arrive under it, and a detached index gets no new
/// ones.
/// </summary>
public sealed class EbpfInterfaceMap
{
    private readonly ConcurrentDictionary<int, EbpfPointCounts> _points = new();

    /// <summary>Maps an index to a point; returns the point's packet count from now on.</summary>
    public EbpfPointCounts Set(int interfaceIndex, ushort interfaceId)
    {
        var counts = new EbpfPointCounts(interfaceId);
        _points[interfaceIndex] = counts;
        return counts;
    }

    public ushort? Find(int interfaceIndex) => _points.TryGetValue(interfaceIndex, out var counts) ? counts.InterfaceId : null;

    public void CountReceived(int interfaceIndex, ulong packets)
    {
        if (_points.TryGetValue(interfaceIndex, out var counts))
        {
            counts.Add(packets);
        }
    }
}
