namespace FlowExporter.Correlator.CaptureFiles;

/// <summary>
/// A sliding window over a stream: hands out spans of the requested size straight from one growing buffer, so
/// records are read without a copy per record. A span stays valid until the next <see cref="TryTake"/>.
/// </summary>
internal sealed class StreamWindow
{
    private readonly Stream _stream;
    private readonly int _maxRecord;
    private byte[] _buffer;
    private int _start;
    private int _end;

    public StreamWindow(Stream stream, int initialSize, int maxRecord)
    {
        _stream = stream;
        _maxRecord = maxRecord;
        _buffer = new byte[initialSize];
    }

    /// <summary>Bytes consumed from the stream so far.</summary>
    public long Position { get; private set; }

    /// <summary>Takes exactly <paramref name="count"/> bytes; false at end of stream (then <paramref name="available"/> says how many were left).</summary>
    public bool TryTake(int count, out ReadOnlySpan<byte> span, out int available)
    {
        if (count < 0 || count > _maxRecord)
        {
            throw new CaptureFileException($"record of {count} bytes at offset {Position} is larger than the {_maxRecord}-byte limit");
        }

        if (_end - _start < count)
        {
            Fill(count);
        }

        available = _end - _start;
        if (available < count)
        {
            span = default;
            return false;
        }

        span = _buffer.AsSpan(_start, count);
        _start += count;
        Position += count;
        return true;
    }

    /// <summary>Looks at the next bytes without consuming them; false if fewer remain.</summary>
    public bool TryPeek(int count, out ReadOnlySpan<byte> span)
    {
        if (_end - _start < count)
        {
            Fill(count);
        }

        if (_end - _start < count)
        {
            span = default;
            return false;
        }

        span = _buffer.AsSpan(_start, count);
        return true;
    }

    private void Fill(int count)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_buffer.Length < count)
        {
            Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
        }

        while (_end < count)
        {
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                return;
            }

            _end += read;
        }
    }
}
