namespace FlowExporter.Correlator.Connections;

/// <summary>Connections opened, active and closed (by reason) for one capture interface and protocol.</summary>
public sealed class LifecycleCounters
{
    private readonly long[] _closed = new long[4];

    /// <summary>The opened count the latest snapshot showed: a withdrawal never takes the counter below it.</summary>
    private long _shownOpened;
    private bool _shown;

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

    /// <summary>
    /// A connection opened here moved to another capture point (<see cref="CountAt.Node"/>): it is no longer active here,
    /// and its opening is taken back unless a snapshot already showed it (a counter never goes back).
    /// </summary>
    internal void Withdraw()
    {
        Active--;
        if (Opened > _shownOpened)
        {
            Opened--;
        }
    }

    /// <summary>A copy for a snapshot: from now on the opened count it shows is never taken back.</summary>
    public LifecycleSample Sample()
    {
        _shownOpened = Opened;
        _shown = true;
        return LifecycleSample.From(this);
    }

    /// <summary>Nothing counted and no snapshot taken: the counters may leave as if they had never been made.</summary>
    internal bool IsUnused => !_shown && Opened == 0 && Active == 0 && Dropped == 0 && _closed.All(c => c == 0);
}
