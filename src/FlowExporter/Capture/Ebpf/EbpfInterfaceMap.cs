using System.Collections.Concurrent;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Which capture point (the connection table's interface id) each kernel interface index the program counts on
/// belongs to; written by attaches (any thread), read by the sweep. An index is not forgotten when its point closes:
/// the last interval's counts still arrive under it, and a detached index gets no new ones.
/// </summary>
public sealed class EbpfInterfaceMap
{
    private readonly ConcurrentDictionary<int, ushort> _ids = new();

    public void Set(int interfaceIndex, ushort interfaceId) => _ids[interfaceIndex] = interfaceId;

    public ushort? Find(int interfaceIndex) => _ids.TryGetValue(interfaceIndex, out var id) ? id : null;
}
