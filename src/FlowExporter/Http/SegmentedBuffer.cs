using System.Buffers;

namespace FlowExporter.Http;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over pooled 64 KiB segments: a large exposition is rendered without ever
/// copying into one huge array, then streamed out; the segments go back to the pool on dispose.
/// </summary>
/// <param name="pool">Where segments come from and go back to (the exporter's one pool).</param>
public sealed class SegmentedBuffer(ExpositionBufferPool pool) : IBufferWriter<byte>, IDisposable
{
    private readonly List<(byte[] Array, int Used)> _segments = [];
    private byte[]? _current;
    private int _used;

    public long Length { get; private set; }

    public void Advance(int count)
    {
        _used += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_used);

    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_used);

    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        Seal();
        foreach (var (array, used) in _segments)
        {
            await destination.WriteAsync(array.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
        }
    }

    public void CopyTo(Stream destination)
    {
        Seal();
        foreach (var (array, used) in _segments)
        {
            destination.Write(array, 0, used);
        }
    }

    public void Dispose()
    {
        Seal();
        if (_segments.Count > 0)
        {
            pool.Return([.. _segments.Select(segment => segment.Array)]);
            _segments.Clear();
        }
    }

    private byte[] Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_current is null || _current.Length - _used < sizeHint)
        {
            Seal();
            _current = pool.Rent(sizeHint);
            _used = 0;
        }

        return _current;
    }

    private void Seal()
    {
        if (_current is not null)
        {
            _segments.Add((_current, _used));
            _current = null;
            _used = 0;
        }
    }
}
