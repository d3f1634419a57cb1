namespace FlowExporter.Http;

/// <summary>
/// The 64 KiB segments /metrics renders into, kept between scrapes. Idle segments are kept up to an allowance: the
/// segment count of the largest recent render, never below <see cref="DefaultMinRetainedSegments"/> (128 MiB) and never
/// above the maximum (1 GiB by default). A scrape as large as the one before finds its memory ready and already
/// touched. Allocating it anew cost a quarter of a 500 MB render's time: the runtime zeroes each new segment, the
/// kernel faults its pages in, and the segments outlive the render, so they pile up in gen2 as garbage until a full
/// collection. The exposition of one scrape has to fit in memory anyway, so keeping it adds to the steady state, not to
/// the peak. After a smaller render the allowance halves, down to what that render used.
/// </summary>
public sealed class ExpositionBufferPool
{
    public const int SegmentSize = 64 * 1024;

    public const int DefaultMinRetainedSegments = 2048;

    public const int DefaultMaxRetainedSegments = 16384;

    private readonly Lock _gate = new();
    private readonly Stack<byte[]> _idle = new();
    private readonly int _minRetained;
    private readonly int _maxRetained;
    private int _allowance;

    public ExpositionBufferPool(int minRetainedSegments = DefaultMinRetainedSegments, int maxRetainedSegments = DefaultMaxRetainedSegments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minRetainedSegments);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRetainedSegments, minRetainedSegments);
        _minRetained = minRetainedSegments;
        _maxRetained = maxRetainedSegments;
        _allowance = minRetainedSegments;
    }

    /// <summary>Segments kept for the next render.</summary>
    public int IdleSegments
    {
        get
        {
            lock (_gate)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>How many idle segments the pool keeps now.</summary>
    public int Allowance
    {
        get
        {
            lock (_gate)
            {
                return _allowance;
            }
        }
    }

    /// <summary>An idle segment, or a new one; a request larger than a segment gets an array of its own, never kept.</summary>
    public byte[] Rent(int minimumLength)
    {
        if (minimumLength > SegmentSize)
        {
            return GC.AllocateUninitializedArray<byte>(minimumLength);
        }

        lock (_gate)
        {
            if (_idle.TryPop(out var segment))
            {
                return segment;
            }
        }

        // Uninitialized: a render writes every byte it sends, and a kept segment holds an old render's bytes anyway.
        return GC.AllocateUninitializedArray<byte>(SegmentSize);
    }

    /// <summary>Takes back every array of one finished render and sets the allowance from its size.</summary>
    public void Return(IReadOnlyList<byte[]> arrays)
    {
        lock (_gate)
        {
            _allowance = Math.Clamp(Math.Max(arrays.Count, _allowance / 2), _minRetained, _maxRetained);
            foreach (var array in arrays)
            {
                if (array.Length == SegmentSize && _idle.Count < _allowance)
                {
                    _idle.Push(array);
                }
            }

            while (_idle.Count > _allowance)
            {
                _idle.Pop();
            }
        }
    }
}
