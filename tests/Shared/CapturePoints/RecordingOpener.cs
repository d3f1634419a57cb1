using System.Threading.Channels;
using FlowExporter.Capture.Points;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.TestSupport.CapturePoints;

/// <summary>
/// A capture-point opener that opens nothing but records every open and close with its timestamp, so tests and the
/// bench can see the manager's decisions; names in <see cref="Failing"/> throw on open, as an unopenable device would.
/// </summary>
public sealed class RecordingOpener(TimeProvider time) : ICapturePointOpener
{
    private readonly TimeProvider _time = time;
    private readonly Lock _gate = new();
    private readonly HashSet<CapturePointKey> _open = [];
    private readonly Channel<(string Action, PlannedPoint Point, long Timestamp)> _log = Channel.CreateUnbounded<(string, PlannedPoint, long)>();

    public HashSet<string> Failing { get; } = [];

    public ChannelReader<(string Action, PlannedPoint Point, long Timestamp)> Decisions => _log.Reader;

    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    public IReadOnlyList<string> OpenNames
    {
        get
        {
            lock (_gate)
            {
                return [.. _open.Select(k => k.Name).Order(StringComparer.Ordinal)];
            }
        }
    }

    public ValueTask<ICapturePointHandle> OpenAsync(PlannedPoint point, CancellationToken cancellationToken)
    {
        if (Failing.Contains(point.Name))
        {
            _log.Writer.TryWrite(("fail", point, _time.GetTimestamp()));
            throw new InvalidOperationException($"{point.Name}: no such device");
        }

        lock (_gate)
        {
            if (!_open.Add(point.Key))
            {
                throw new InvalidOperationException($"{point.Key} opened twice");
            }
        }

        _log.Writer.TryWrite(("open", point, _time.GetTimestamp()));
        return ValueTask.FromResult<ICapturePointHandle>(new Handle(this, point));
    }

    private sealed class Handle(RecordingOpener owner, PlannedPoint point) : ICapturePointHandle
    {
        public string Engine => "recording";

        public bool IsCapturing => true;

        public string? LastReason => null;

        public long Received => 0;

        public long KernelDropped => 0;

        public long InterfaceDropped => 0;

        public ValueTask DisposeAsync()
        {
            lock (owner._gate)
            {
                owner._open.Remove(point.Key);
            }

            owner._log.Writer.TryWrite(("close", point, owner._time.GetTimestamp()));
            return ValueTask.CompletedTask;
        }
    }
}
