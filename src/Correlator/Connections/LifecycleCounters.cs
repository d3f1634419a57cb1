namespace FlowExporter.Correlator.Connections;

/// <summary>Connections opened, active and closed (by reason) for one capture interface and protocol.</summary>
public sealed class LifecycleCounters
{
    private readonly long[] _closed = new long[4];

    public LifecycleCounters(ushort captureInterface, byte protocol)
    {
        Interface = captureInterface;
        Protocol = protocol;
    }

    public ushort Interface { get; }

    public byte Protocol { get; }

    public long Opened { get; private set; }

    public long Active { get; private set; }

    /// <summary>New connections not tracked because the table was full.</summary>
    public long Dropped { get; private set; }

    public long Closed(CloseReason reason) => _closed[(int)reason];

    internal void Open()
    {
        Opened++;
        Active++;
    }

    internal void Close(CloseReason reason)
    {
        Active--;
        _closed[(int)reason]++;
    }

    internal void Drop() => Dropped++;
}
