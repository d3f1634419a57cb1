namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// Splits a byte stream into consecutive top-level JSON values, as OVSDB's JSON-RPC sends them (objects back to back,
/// no delimiter) and as ovs-vsctl prints one object per command. Tracks nesting, strings and escapes only; each message
/// is then parsed by System.Text.Json. A message larger than the cap is an error (the stream cannot be trusted after it).
/// </summary>
public sealed class JsonMessageFramer
{
    private readonly int _maxMessageBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _scan;
    private int _depth;
    private bool _inString;
    private bool _escaped;
    private bool _inMessage;

    public JsonMessageFramer(int maxMessageBytes, int initialCapacity = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 2);
        _maxMessageBytes = maxMessageBytes;
        _buffer = new byte[Math.Min(initialCapacity, maxMessageBytes)];
    }

    /// <summary>Bytes buffered but not yet returned as a message.</summary>
    public int Pending => _end - _start;

    /// <summary>Space to receive into; call <see cref="Advance"/> with what was written.</summary>
    public Memory<byte> GetWriteMemory(int sizeHint = 16 * 1024)
    {
        if (_start > 0 && _start == _end)
        {
            _scan -= _start;
            _start = _end = 0;
        }

        if (_buffer.Length - _end < sizeHint)
        {
            var pending = _end - _start;
            if (_start > 0 && _buffer.Length - pending >= sizeHint)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            }
            else
            {
                var grown = new byte[Math.Max(_buffer.Length * 2, pending + sizeHint)];
                Buffer.BlockCopy(_buffer, _start, grown, 0, pending);
                _buffer = grown;
            }

            _scan -= _start;
            _end = pending;
            _start = 0;
        }

        return _buffer.AsMemory(_end);
    }

    public void Advance(int count) => _end += count;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetWriteMemory(bytes.Length).Span);
        Advance(bytes.Length);
    }

    /// <summary>
    /// Returns the next complete top-level value, valid until the next call on this framer. Throws
    /// <see cref="OvsdbFormatException"/> when a message exceeds the cap or the stream holds a stray closing bracket.
    /// </summary>
    public bool TryReadMessage(out ReadOnlyMemory<byte> message)
    {
        while (_scan < _end)
        {
            var b = _buffer[_scan++];
            if (!_inMessage)
            {
                if (b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
                {
                    _start = _scan;
                    continue;
                }

                if (b is not ((byte)'{' or (byte)'['))
                {
                    throw new OvsdbFormatException($"stream: expected a JSON object or array, got byte 0x{b:x2}");
                }

                _inMessage = true;
                _depth = 1;
                continue;
            }

            if (_inString)
            {
                if (_escaped)
                {
                    _escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    _escaped = true;
                }
                else if (b == (byte)'"')
                {
                    _inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                _inString = true;
            }
            else if (b is (byte)'{' or (byte)'[')
            {
                _depth++;
            }
            else if (b is (byte)'}' or (byte)']' && --_depth == 0)
            {
                message = _buffer.AsMemory(_start, _scan - _start);
                _start = _scan;
                _inMessage = false;
                return true;
            }

            if (_scan - _start > _maxMessageBytes)
            {
                throw new OvsdbFormatException($"stream: a message exceeds {_maxMessageBytes} bytes");
            }
        }

        message = default;
        return false;
    }

    /// <summary>Forgets everything buffered (after a reconnect).</summary>
    public void Reset()
    {
        _start = _end = _scan = _depth = 0;
        _inString = _escaped = _inMessage = false;
    }
}
