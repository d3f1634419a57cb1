using System.Buffers;

namespace FlowExporter.Http;

/// <summary>
/// The 64 KiB segments /metrics renders into, kept between scrapes. The shared array pool keeps only a few arrays of a
/// size per core, so a scrape of 20,000 connections (about 300 segments) used to allocate most of its segments anew:
/// they live for the whole render, get promoted, and pile up as garbage in gen2 until a full collection, which made the
/// process's memory swing by the scrape size. Here up to <see cref="MaxRetainedSegments"/> (128 MiB) come back for the
/// next scrape; beyond that (many concurrent scrapes of a huge table) segments are allocated and dropped as before.
/// </summary>
public sealed class ExpositionBufferPool
{
    public const int SegmentSize = 64 * 1024;

    public const int MaxRetainedSegments = 2048;

    public ExpositionBufferPool(int maxRetainedSegments = MaxRetainedSegments)
    {
        Segments = ArrayPool<byte>.Create(SegmentSize, maxRetainedSegments);
    }

    public ArrayPool<byte> Segments { get; }
}
