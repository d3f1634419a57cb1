using FlowExporter.Capture;

namespace FlowExporter.Tests.Capture;

public sealed class StreamBufferWriterTests
{
    [Fact]
    public void Output_reaches_the_stream_in_chunks_of_at_most_the_buffer_while_it_is_written()
    {
        using var stream = new RecordingStream();
        var writer = new StreamBufferWriter(stream, bufferBytes: 64);
        for (var i = 0; i < 100; i++)
        {
            var span = writer.GetSpan(10);
            "0123456789"u8.CopyTo(span);
            writer.Advance(10);
            Assert.True((i + 1) * 10 - stream.Length <= 64, "no more than one buffer is held back");
        }

        writer.Flush();
        Assert.Equal(1000, stream.Length);
        Assert.Equal(1000, writer.Flushed);
        Assert.All(stream.Writes, size => Assert.InRange(size, 1, 64));
        Assert.Equal(string.Concat(Enumerable.Repeat("0123456789", 100)), System.Text.Encoding.ASCII.GetString(stream.ToArray()));
    }

    [Fact]
    public void A_span_larger_than_the_buffer_is_given_after_flushing_what_was_buffered()
    {
        using var stream = new RecordingStream();
        var writer = new StreamBufferWriter(stream, bufferBytes: 16);
        writer.GetSpan(4)[0] = (byte)'a';
        writer.Advance(1);
        var span = writer.GetSpan(100);
        Assert.True(span.Length >= 100);
        Assert.Equal(1, stream.Length);
        span[..100].Fill((byte)'b');
        writer.Advance(100);
        writer.Flush();
        Assert.Equal(101, stream.Length);
        Assert.Throws<InvalidOperationException>(() => writer.Advance(writer.GetSpan(1).Length + 1));
    }

    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes.Add(count);
            base.Write(buffer, offset, count);
        }
    }
}
