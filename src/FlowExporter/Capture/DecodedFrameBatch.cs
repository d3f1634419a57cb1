using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;

namespace FlowExporter.Capture;

/// <summary>
/// Frames of a replayed file, decoded, handed from the reading thread to the accounting one; reused (a fixed set of
/// batches circulates), so a replay allocates no memory per frame.
/// </summary>
internal sealed class DecodedFrameBatch(int capacity)
{
    public DecodedFrame[] Frames { get; } = new DecodedFrame[capacity];

    public int Count { get; set; }

    /// <summary>Interfaces the file described since the previous batch (a pcapng file may describe more as it goes).</summary>
    public List<CaptureInterface> Described { get; } = [];
}
