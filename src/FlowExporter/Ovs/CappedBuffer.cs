namespace FlowExporter.Ovs;

/// <summary>A write-only stream that keeps at most a given number of bytes and remembers whether more came.</summary>
internal sealed class CappedBuffer(int capacity) : Stream
{
    private readonly MemoryStream _bytes = new();

    public bool Overflowed { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _bytes.Length;

    public override long Position
    {
        get => _bytes.Length;
        set => throw new NotSupportedException();
    }

    public ReadOnlySpan<byte> Span => _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var room = capacity - (int)_bytes.Length;
        if (buffer.Length > room)
        {
            Overflowed = true;
            buffer = buffer[..Math.Max(0, room)];
        }

        _bytes.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _bytes.Dispose();
        }

        base.Dispose(disposing);
    }
}
