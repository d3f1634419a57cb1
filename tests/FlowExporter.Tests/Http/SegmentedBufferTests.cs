using FlowExporter.Http;

namespace FlowExporter.Tests.Http;

/// <summary>
/// Scrapes render into segments the exporter keeps: as many as the largest recent scrape used (within the pool's
/// bounds), so the next scrape of that size allocates none.
/// </summary>
public sealed class SegmentedBufferTests
{
    private const int Segment = ExpositionBufferPool.SegmentSize;

    [Fact]
    public void A_second_render_of_the_same_size_reuses_every_segment_of_the_first()
    {
        var pool = new ExpositionBufferPool();
        var bytes = Enumerable.Range(0, (5 * Segment) + 100).Select(i => (byte)i).ToArray();
        Assert.Equal(bytes, Render(pool, bytes));
        Assert.Equal(6, pool.IdleSegments);

        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var buffer = new SegmentedBuffer(pool))
        {
            Write(buffer, bytes);
            Assert.Equal(bytes.Length, buffer.Length);
            Assert.Equal(0, pool.IdleSegments);
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < Segment, "a segment was allocated anew");
        Assert.Equal(6, pool.IdleSegments);
        Assert.Equal(bytes, Render(pool, bytes));
    }

    [Fact]
    public void The_pool_keeps_what_the_largest_recent_render_used_within_its_bounds_and_halves_after_smaller_ones()
    {
        var pool = new ExpositionBufferPool(minRetainedSegments: 2, maxRetainedSegments: 8);
        Assert.Equal(2, pool.Allowance);

        Render(pool, new byte[6 * Segment]);
        Assert.Equal((6, 6), (pool.Allowance, pool.IdleSegments));

        // Larger than the maximum: the segments beyond it are dropped.
        Render(pool, new byte[10 * Segment]);
        Assert.Equal((8, 8), (pool.Allowance, pool.IdleSegments));

        // Smaller renders halve the allowance, never below what they used nor below the minimum.
        Render(pool, new byte[1 * Segment]);
        Assert.Equal((4, 4), (pool.Allowance, pool.IdleSegments));
        Render(pool, new byte[3 * Segment]);
        Assert.Equal((3, 3), (pool.Allowance, pool.IdleSegments));
        Render(pool, new byte[1 * Segment]);
        Assert.Equal((2, 2), (pool.Allowance, pool.IdleSegments));
    }

    [Fact]
    public void Segments_beyond_the_allowance_are_allocated_and_dropped()
    {
        var pool = new ExpositionBufferPool(minRetainedSegments: 2, maxRetainedSegments: 2);
        var bytes = new byte[4 * Segment];
        Assert.Equal(bytes, Render(pool, bytes));

        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var buffer = new SegmentedBuffer(pool))
        {
            Write(buffer, bytes);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(allocated, 2L * Segment, 3L * Segment);
        Assert.Equal(2, pool.IdleSegments);
    }

    [Fact]
    public void A_request_larger_than_a_segment_gets_its_own_array_which_is_not_kept()
    {
        var pool = new ExpositionBufferPool(minRetainedSegments: 4, maxRetainedSegments: 4);
        using (var buffer = new SegmentedBuffer(pool))
        {
            var span = buffer.GetSpan(Segment + 1);
            Assert.True(span.Length >= Segment + 1);
            span[Segment] = 42;
            buffer.Advance(Segment + 1);
            Assert.Equal(Segment + 1, buffer.Length);
        }

        Assert.Equal(0, pool.IdleSegments);
    }

    [Theory]
    [InlineData(0, 100)] // mark at the start, rewind within the first segment
    [InlineData(100, 200)] // mark and rewind inside one segment
    [InlineData(100, (3 * Segment) + 5)] // rewind across segments sealed since the mark
    [InlineData(Segment, (2 * Segment) + 7)] // mark exactly at a segment's end
    public void Rewinding_to_a_mark_drops_what_was_written_since_and_reuses_its_segments(int before, int after)
    {
        var pool = new ExpositionBufferPool(minRetainedSegments: 8, maxRetainedSegments: 8);
        Render(pool, new byte[8 * Segment]);
        Assert.Equal(8, pool.IdleSegments);
        var head = Enumerable.Range(0, before).Select(i => (byte)(i * 7)).ToArray();
        var tail = Enumerable.Range(0, 300).Select(i => (byte)(i * 13)).ToArray();
        byte[] rendered;
        int rented;
        using (var buffer = new SegmentedBuffer(pool))
        {
            Write(buffer, head);
            var mark = buffer.Mark();
            Write(buffer, new byte[after]);
            buffer.Rewind(mark);
            Assert.Equal(before, buffer.Length);
            rented = 8 - pool.IdleSegments;

            // Writing on reuses the segments the rewind freed: no more are taken from the pool.
            Write(buffer, new byte[after]);
            Assert.Equal(rented, 8 - pool.IdleSegments);
            buffer.Rewind(mark);
            Write(buffer, tail);
            using var output = new MemoryStream();
            buffer.CopyTo(output);
            rendered = output.ToArray();
        }

        Assert.Equal([.. head, .. tail], rendered);
        Assert.Equal(8, pool.IdleSegments);
    }

    private static byte[] Render(ExpositionBufferPool pool, byte[] bytes)
    {
        using var buffer = new SegmentedBuffer(pool);
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
