namespace FlowExporter.Http;

/// <summary>A position in a <see cref="SegmentedBuffer"/>: how many segments were sealed, the current one's use, the length.</summary>
public readonly record struct BufferMark(int Segments, bool HadCurrent, int Used, long Length);
