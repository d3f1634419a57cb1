using System.Buffers;

namespace FlowExporter.Http;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over pooled 64 KiB segments: a large exposition is rendered without ever
/// copying into one huge array, then streamed out; the segments go back to the pool on dispose. A writer can take a
/// <see cref="Mark"/> and <see cref="Rewind"/> to it, dropping what was written since (a contributor that failed half-way);
/// segments freed that way are reused by the same render before any new one is rented.
/// </summary>
/// <param name="pool">Where segments come from and go back to (the exporter's one pool).</param>
public sealed class SegmentedBuffer(ExpositionBufferPool pool) : IRewindableOutput, IDisposable
{
    private readonly List<(byte[] Array, int Used)> _segments = [];
    private readonly List<byte[]> _spares = [];
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

    /// <summary>The current end of what was written, to <see cref="Rewind"/> to.</summary>
    public BufferMark Mark() => new(_segments.Count, _current is not null, _used, Length);

    /// <summary>Drops everything written after <paramref name="mark"/> (taken from this buffer, not yet copied out).</summary>
    public void Rewind(BufferMark mark)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mark.Length, Length);
        if (_segments.Count == mark.Segments)
        {
            // Still in the segment that was current at the mark (or in the first one rented after it).
            _used = mark.HadCurrent ? mark.Used : 0;
            Length = mark.Length;
            return;
        }

        if (_current is not null)
        {
            _spares.Add(_current);
        }

        var keep = mark.HadCurrent ? mark.Segments + 1 : mark.Segments;
        for (var i = keep; i < _segments.Count; i++)
        {
            _spares.Add(_segments[i].Array);
        }

        if (mark.HadCurrent)
        {
            _current = _segments[mark.Segments].Array;
            _used = mark.Used;
        }
        else
        {
            _current = null;
            _used = 0;
        }

        _segments.RemoveRange(mark.Segments, _segments.Count - mark.Segments);
        Length = mark.Length;
    }

    public void Dispose()
    {
        Seal();
        if (_segments.Count > 0 || _spares.Count > 0)
        {
            pool.Return([.. _segments.Select(segment => segment.Array), .. _spares]);
            _segments.Clear();
            _spares.Clear();
        }
    }

    private byte[] Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_current is null || _current.Length - _used < sizeHint)
        {
            Seal();
            _current = TakeSpare(sizeHint) ?? pool.Rent(sizeHint);
            _used = 0;
        }

        return _current;
    }

    private byte[]? TakeSpare(int sizeHint)
    {
        var index = _spares.FindIndex(spare => spare.Length >= sizeHint);
        if (index < 0)
        {
            return null;
        }

        var spare = _spares[index];
        _spares.RemoveAt(index);
        return spare;
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
