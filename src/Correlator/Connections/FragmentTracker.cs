using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Connections;

/// <summary>
/// Remembers the ports of first fragments so that the later fragments of the same datagram (same addresses,
/// protocol and identification) are accounted to the same connection. Bounded: the oldest entry goes first when full,
/// and entries older than the lifetime are ignored.
/// </summary>
public sealed class FragmentTracker
{
    private readonly Dictionary<FragmentKey, Entry> _entries;
    private readonly FragmentKey[] _order;
    private readonly long _lifetimeNanoseconds;
    private int _head;
    private int _count;

    public FragmentTracker(int capacity, TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _entries = new Dictionary<FragmentKey, Entry>(capacity);
        _order = new FragmentKey[capacity];
        _lifetimeNanoseconds = (long)lifetime.TotalMilliseconds * 1_000_000;
    }

    public int Count => _entries.Count;

    public void Remember(IpAddress source, IpAddress destination, byte protocol, uint id, ushort sourcePort, ushort destinationPort, long now)
    {
        var key = new FragmentKey(source, destination, protocol, id);
        if (_entries.ContainsKey(key))
        {
            _entries[key] = new Entry(sourcePort, destinationPort, now);
            return;
        }

        if (_count == _order.Length)
        {
            _entries.Remove(_order[_head]);
            _head = (_head + 1) % _order.Length;
            _count--;
        }

        _order[(_head + _count) % _order.Length] = key;
        _count++;
        _entries[key] = new Entry(sourcePort, destinationPort, now);
    }

    public bool TryRecall(IpAddress source, IpAddress destination, byte protocol, uint id, long now, out ushort sourcePort, out ushort destinationPort)
    {
        if (_entries.TryGetValue(new FragmentKey(source, destination, protocol, id), out var entry) && now - entry.Seen <= _lifetimeNanoseconds)
        {
            sourcePort = entry.SourcePort;
            destinationPort = entry.DestinationPort;
            return true;
        }

        sourcePort = 0;
        destinationPort = 0;
        return false;
    }

    private readonly record struct FragmentKey(IpAddress Source, IpAddress Destination, byte Protocol, uint Id);

    private readonly record struct Entry(ushort SourcePort, ushort DestinationPort, long Seen);
}
