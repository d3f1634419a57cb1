using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Capture.Points;

/// <summary>
/// The open capture points as the capture source sees them: it wraps the engine's <see cref="ICapturePointOpener"/>
/// so that every point the manager opens is listed here until closed. An interface named explicitly keeps its counters
/// across closes and re-opens (its series go on, as before capture points); a discovered point's counters leave with
/// it, and its interface id is released to the capture engine (freed once its connections have left).
/// </summary>
internal sealed class CapturePointTable : ICapturePointOpener
{
    private readonly ICapturePointOpener _engine;
    private readonly IReadOnlySet<string> _named;
    private readonly Lock _gate = new();
    private readonly Dictionary<CapturePointKey, Entry> _open = [];
    private readonly Dictionary<string, CapturePointCounters> _closedTotals = new(StringComparer.Ordinal);
    private readonly Action<string>? _released;

    /// <param name="released">Told the name of a discovered point once it is closed (its id may be freed).</param>
    public CapturePointTable(ICapturePointOpener engine, IReadOnlySet<string> named, Action<string>? released = null)
    {
        _engine = engine;
        _named = named;
        _released = released;
    }

    public async ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
    {
        var handle = await _engine.OpenAsync(point, cancellationToken).ConfigureAwait(false);
        var entry = new Entry(this, point, handle);
        lock (_gate)
        {
            _open[point.Key] = entry;
        }

        return entry;
    }

    /// <summary>Every open point, plus each named interface that is not open (its totals so far, no handle).</summary>
    public IReadOnlyList<CapturePointView> Views()
    {
        lock (_gate)
        {
            var views = new Dictionary<string, CapturePointView>(StringComparer.Ordinal);
            foreach (var name in _named)
            {
                views[name] = new CapturePointView(name, true, null, _closedTotals.GetValueOrDefault(name));
            }

            foreach (var entry in _open.Values)
            {
                var name = entry.Point.Name;
                var totals = _closedTotals.GetValueOrDefault(name) + CapturePointCounters.Of(entry.Handle);
                views[name] = new CapturePointView(name, _named.Contains(name), entry.Handle, totals, entry.Point.Role);
            }

            return [.. views.Values.OrderBy(v => v.Name, StringComparer.Ordinal)];
        }
    }

    private void Closed(Entry entry)
    {
        lock (_gate)
        {
            _open.Remove(entry.Point.Key);
            var name = entry.Point.Name;
            if (_named.Contains(name))
            {
                _closedTotals[name] = _closedTotals.GetValueOrDefault(name) + CapturePointCounters.Of(entry.Handle);
                return;
            }
        }

        _released?.Invoke(entry.Point.Name);
    }

    /// <summary>The handle the manager holds: closing it closes the engine's handle, then takes the point off the table.</summary>
    private sealed class Entry(CapturePointTable table, PlannedPoint point, ICapturePointHandle handle) : ICapturePointHandle
    {
        public PlannedPoint Point => point;

        public ICapturePointHandle Handle => handle;

        public string Engine => handle.Engine;

        public bool IsCapturing => handle.IsCapturing;

        public string? LastReason => handle.LastReason;

        public long Received => handle.Received;

        public long KernelDropped => handle.KernelDropped;

        public long InterfaceDropped => handle.InterfaceDropped;

        public async ValueTask DisposeAsync()
        {
            await handle.DisposeAsync().ConfigureAwait(false);
            table.Closed(this);
        }
    }
}
