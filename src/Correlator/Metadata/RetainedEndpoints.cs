using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Metadata;

/// <summary>
/// Endpoints whose object is gone (deleted, or finished), kept for a grace period so that connections still open
/// (or still draining to their final scrape) keep their labels. Bounded twice: an entry leaves after
/// <see cref="Grace"/>, and past <see cref="Capacity"/> entries the oldest leaves first (counted in
/// <see cref="Evicted"/>). A live object that takes the same key or IP back wins over a retained one.
/// Not thread-safe: owned by one writer. Time is passed in.
/// </summary>
public sealed class RetainedEndpoints
{
    private readonly LinkedList<Entry> _order = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byKey = new(StringComparer.Ordinal);

    public RetainedEndpoints(TimeSpan grace, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Grace = grace;
        Capacity = capacity;
    }

    public TimeSpan Grace { get; }

    public int Capacity { get; }

    public int Count => _order.Count;

    /// <summary>Entries dropped because the table was full before their grace period ended.</summary>
    public long Evicted { get; private set; }

    /// <summary>Keeps an endpoint (marked retained) under a key until <paramref name="now"/> + grace.</summary>
    public void Retain(string key, NetworkEndpoint endpoint, IReadOnlyList<IpAddress> addresses, DateTimeOffset now)
    {
        Forget(key);
        if (Capacity == 0 || Grace == TimeSpan.Zero || addresses.Count == 0)
        {
            return;
        }

        while (_order.Count >= Capacity)
        {
            _byKey.Remove(_order.First!.Value.Key);
            _order.RemoveFirst();
            Evicted++;
        }

        _byKey[key] = _order.AddLast(new Entry(key, endpoint with { Retained = true }, addresses, now + Grace));
    }

    /// <summary>Drops a key (its object came back).</summary>
    public void Forget(string key)
    {
        if (_byKey.Remove(key, out var node))
        {
            _order.Remove(node);
        }
    }

    /// <summary>Drops every entry whose grace period has ended by <paramref name="now"/>.</summary>
    public void Expire(DateTimeOffset now)
    {
        // Insertion order is expiry order: the grace period is the same for every entry.
        while (_order.First is { } first && first.Value.ExpiresAt <= now)
        {
            _byKey.Remove(first.Value.Key);
            _order.RemoveFirst();
        }
    }

    /// <summary>The retained entries, oldest first.</summary>
    public IEnumerable<(NetworkEndpoint Endpoint, IReadOnlyList<IpAddress> Addresses)> Entries
    {
        get
        {
            foreach (var entry in _order)
            {
                yield return (entry.Endpoint, entry.Addresses);
            }
        }
    }

    private sealed record Entry(string Key, NetworkEndpoint Endpoint, IReadOnlyList<IpAddress> Addresses, DateTimeOffset ExpiresAt);
}
