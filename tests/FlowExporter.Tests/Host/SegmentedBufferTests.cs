using FlowExporter.Http;

namespace FlowExporter.Tests.Host;

/// <summary>Scrapes render into segments the exporter keeps: the second scrape of a size allocates no new segments.</summary>
public sealed class SegmentedBufferTests
{
    [Fact]
    public void A_second_render_of_the_same_size_reuses_every_segment_of_the_first()
    {
        var pool = new ExpositionBufferPool();
        var bytes = Enumerable.Range(0, (5 * ExpositionBufferPool.SegmentSize) + 100).Select(i => (byte)i).ToArray();
        Assert.Equal(bytes, Render(pool, bytes));

        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var buffer = new SegmentedBuffer(pool.Segments))
        {
            Write(buffer, bytes);
            Assert.Equal(bytes.Length, buffer.Length);
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < ExpositionBufferPool.SegmentSize, "a segment was allocated anew");
        Assert.Equal(bytes, Render(pool, bytes));
    }

    [Fact]
    public void Segments_beyond_the_retained_bound_are_allocated_and_dropped()
    {
        var pool = new ExpositionBufferPool(maxRetainedSegments: 2);
        var bytes = new byte[4 * ExpositionBufferPool.SegmentSize];
        Assert.Equal(bytes, Render(pool, bytes));

        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var buffer = new SegmentedBuffer(pool.Segments))
        {
            Write(buffer, bytes);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(allocated, 2L * ExpositionBufferPool.SegmentSize, 3L * ExpositionBufferPool.SegmentSize);
    }

    private static byte[] Render(ExpositionBufferPool pool, byte[] bytes)
    {
        using var buffer = new SegmentedBuffer(pool.Segments);
        Write(buffer, bytes);
        using var output = new MemoryStream();
        buffer.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>In pieces of 1 KiB (64 to a segment), as the exposition writer asks for room.</summary>
    private static void Write(SegmentedBuffer buffer, byte[] bytes)
    {
        for (var offset = 0; offset < bytes.Length; offset += 1024)
        {
            var piece = bytes.AsSpan(offset, Math.Min(1024, bytes.Length - offset));
            piece.CopyTo(buffer.GetSpan(piece.Length));
            buffer.Advance(piece.Length);
        }
    }
}
