using FlowExporter.Correlator.CaptureFiles;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// Where one capture interface delivers its frames: a capture loop opens a <see cref="Batch"/> (the engine's lock is
/// held for its duration) and hands each frame to <see cref="Accept"/> inside it. Taking the lock once per batch, not
/// per frame, is what keeps the per-packet path cheap; a frame accepted outside a batch is a bug and throws.
/// </summary>
public sealed class CaptureSink
{
    private readonly CaptureEngine _engine;

    internal CaptureSink(CaptureEngine engine, ushort id, string name)
    {
        _engine = engine;
        Id = id;
        Name = name;
    }

    /// <summary>The interface id (index of the <c>interface</c> label).</summary>
    public ushort Id { get; }

    public string Name { get; }

    /// <summary>The point's id was freed (<see cref="CaptureEngine.ReleaseInterface"/>): frames still handed here are dropped, not counted at another point that reuses the id.</summary>
    public bool IsRetired => Volatile.Read(ref _retired);

    private bool _retired;

    /// <summary>Runs <paramref name="body"/> with the engine's lock held; frames go to <see cref="Accept"/> inside it.</summary>
    public TResult Batch<TState, TResult>(TState state, Func<TState, TResult> body) => _engine.Batch(state, body);

    /// <summary>Processes one frame as captured on this interface; only inside a <see cref="Batch"/> of any sink of the same engine.</summary>
    public void Accept(in CapturedFrame frame)
    {
        EnsureInBatch();
        if (_retired)
        {
            return;
        }

        _engine.Pipeline.Process(Id, frame);
    }

    /// <summary>
    /// Accounts one frame decoded on another thread (<see cref="DecodedFrame"/>) as captured on this interface; only
    /// inside a <see cref="Batch"/>, like <see cref="Accept"/>.
    /// </summary>
    public void AcceptDecoded(in DecodedFrame frame)
    {
        EnsureInBatch();
        if (_retired)
        {
            return;
        }

        _engine.Pipeline.Account(Id, frame.Result, frame.Packet, frame.WireLength, frame.TimestampNanoseconds);
    }

    internal void Retire() => Volatile.Write(ref _retired, true);

    private void EnsureInBatch()
    {
        if (!_engine.InBatch)
        {
            throw new InvalidOperationException($"capture interface {Name}: a frame was accepted outside a batch");
        }
    }
}
