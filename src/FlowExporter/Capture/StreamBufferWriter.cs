using System.Buffers;
using FlowExporter.Http;

namespace FlowExporter.Capture;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that writes through to a stream whenever its one buffer fills, so that a large
/// exposition is streamed in chunks instead of being built whole in memory first (replay's standard output). It can go
/// back to a mark only while nothing after the mark has reached the stream: a contributor that fails after that fails
/// the whole output instead of leaving half of itself in it.
/// </summary>
internal sealed class StreamBufferWriter : IRewindableOutput
{
    private readonly Stream _output;
    private byte[] _buffer;
    private int _written;

    public StreamBufferWriter(Stream output, int bufferBytes = 1 << 18)
    {
        _output = output;
        _buffer = new byte[bufferBytes];
    }

    /// <summary>Bytes handed to the stream so far.</summary>
    public long Flushed { get; private set; }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException($"advanced {count} bytes past the {_buffer.Length - _written} available");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var start = Reserve(sizeHint); // may replace the buffer: read it after
        return _buffer.AsMemory(start);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _buffer.AsSpan(start);
    }

    public BufferMark Mark() => new(Segments: 0, HadCurrent: true, Used: _written, Length: Flushed + _written);

    public void Rewind(BufferMark mark)
    {
        if (mark.Length < Flushed)
        {
            throw new InvalidOperationException("the output since the mark was already streamed and cannot be taken back");
        }

        _written = (int)(mark.Length - Flushed);
    }

    /// <summary>Writes what is buffered to the stream.</summary>
    public void Flush()
    {
        if (_written > 0)
        {
            _output.Write(_buffer, 0, _written);
            Flushed += _written;
            _written = 0;
        }
    }

    private int Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written < needed)
        {
            Flush();
            if (_buffer.Length < needed)
            {
                _buffer = new byte[needed];
            }
        }

        return _written;
    }
}
