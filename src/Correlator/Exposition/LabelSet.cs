using System.Globalization;
using System.Text;

namespace FlowExporter.Correlator.Exposition;

/// <summary>
/// The labels of one series rendered once, escaped and comma-separated, with a place marked for a label of each sample's
/// own (<c>direction</c>, <c>result</c>): every sample of the series is then written as a few copies (see
/// <see cref="ExpositionWriter.Sample(MetricFamily, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ulong)"/>)
/// instead of formatting every label again. Reused from series to series; grows to the longest label set seen.
/// </summary>
public sealed class LabelSet
{
    private byte[] _bytes = new byte[512];
    private int _length;
    private int _place = -1;
    private int _valueStart;

    /// <summary>The labels before the marked place (all of them when no place is marked).</summary>
    public ReadOnlySpan<byte> Before => _bytes.AsSpan(0, _place < 0 ? _length : _place);

    /// <summary>The labels after the marked place (none when no place is marked).</summary>
    public ReadOnlySpan<byte> After => _place < 0 || _place == _length
        ? default
        : _bytes.AsSpan(_place + (_place > 0 ? 1 : 0), _length - _place - (_place > 0 ? 1 : 0)); // less the comma at the place

    /// <summary>All the labels, in order.</summary>
    public ReadOnlySpan<byte> All => _bytes.AsSpan(0, _length);

    public void Clear()
    {
        _length = 0;
        _place = -1;
    }

    /// <summary>Marks the place of the sample's own label: between the labels added so far and those added next.</summary>
    public void MarkPlace() => _place = _length;

    /// <summary>Labels rendered before (comma-separated <c>name="value"</c> pairs, as <see cref="All"/> gives them); null or empty adds none.</summary>
    public void AddRendered(ReadOnlySpan<byte> labels)
    {
        if (labels.IsEmpty)
        {
            return;
        }

        Ensure(_length + labels.Length + 1);
        if (_length > 0)
        {
            _bytes[_length++] = (byte)',';
        }

        labels.CopyTo(_bytes.AsSpan(_length));
        _length += labels.Length;
    }

    /// <summary>A label whose value is already escaped UTF-8 (see <see cref="ExpositionWriter.Escape"/>).</summary>
    public void AddRaw(ReadOnlySpan<byte> name, ReadOnlySpan<byte> escapedValue)
    {
        var span = Start(name, escapedValue.Length);
        escapedValue.CopyTo(span);
        End(escapedValue.Length);
    }

    public void Add(ReadOnlySpan<byte> name, string? value)
    {
        value ??= string.Empty;
        var span = Start(name, Encoding.UTF8.GetMaxByteCount(value.Length) * 2);
        End(ExpositionWriter.EscapeInto(value, span));
    }

    /// <summary>A label whose value formats itself as UTF-8 (numbers, addresses) and needs no escaping.</summary>
    public void Add<T>(ReadOnlySpan<byte> name, T value)
        where T : IUtf8SpanFormattable
    {
        var span = Start(name, 64);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture))
        {
            span = Start(name, 256);
            if (!value.TryFormat(span, out written, default, CultureInfo.InvariantCulture))
            {
                written = 0;
            }
        }

        End(written);
    }

    /// <summary>Writes the separator, the name and the opening quote; returns room for a value of up to <paramref name="maxValue"/> bytes.</summary>
    private Span<byte> Start(ReadOnlySpan<byte> name, int maxValue)
    {
        // Room for a comma, name, =", the value and the closing quote.
        var start = _length;
        Ensure(start + name.Length + maxValue + 4);
        var position = start;
        if (position > 0)
        {
            _bytes[position++] = (byte)',';
        }

        name.CopyTo(_bytes.AsSpan(position));
        position += name.Length;
        _bytes[position++] = (byte)'=';
        _bytes[position++] = (byte)'"';
        _valueStart = position;
        return _bytes.AsSpan(position, maxValue);
    }

    private void End(int valueLength)
    {
        var position = _valueStart + valueLength;
        _bytes[position++] = (byte)'"';
        _length = position;
    }

    private void Ensure(int size)
    {
        if (size > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(size, _bytes.Length * 2));
        }
    }
}
