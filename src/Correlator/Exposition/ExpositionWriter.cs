using System.Buffers;
using System.Globalization;
using System.Text;

namespace FlowExporter.Correlator.Exposition;

/// <summary>
/// Writes metric families and samples straight into a buffer in Prometheus text 0.0.4 or OpenMetrics 1.0.0,
/// escaping every label value, without allocating per sample.
/// Usage per sample: <see cref="BeginSample(MetricFamily)"/>, any number of <c>Label</c> calls, then <c>Value</c>.
/// </summary>
public sealed class ExpositionWriter
{
    private const int MaxNumberBytes = 32;
    private readonly IBufferWriter<byte> _output;
    private int _labelsWritten;

    public ExpositionWriter(IBufferWriter<byte> output, ExpositionFormat format)
    {
        _output = output;
        Format = format;
    }

    public ExpositionFormat Format { get; }

    /// <summary>Writes the HELP and TYPE lines of a family; call once before its samples.</summary>
    public void Family(MetricFamily family) =>
        WriteRaw(Format == ExpositionFormat.OpenMetrics ? family.OpenMetricsHeader : family.PrometheusHeader);

    public void BeginSample(MetricFamily family) => BeginSample(family, default);

    /// <summary>Starts a sample whose name is the family name plus a suffix (for histograms: _bucket, _sum, _count).</summary>
    public void BeginSample(MetricFamily family, ReadOnlySpan<byte> suffix)
    {
        WriteRaw(family.SampleName);
        WriteRaw(suffix);
        _labelsWritten = 0;
    }

    public void Label(ReadOnlySpan<byte> name, string? value)
    {
        StartLabel(name);
        WriteEscaped(value ?? string.Empty);
        WriteRaw("\""u8);
    }

    /// <summary>A label whose value is already escaped UTF-8 (see <see cref="Escape"/>): constants and cached values.</summary>
    public void LabelRaw(ReadOnlySpan<byte> name, ReadOnlySpan<byte> escapedValue)
    {
        StartLabel(name);
        WriteRaw(escapedValue);
        WriteRaw("\""u8);
    }

    /// <summary>A label value escaped and encoded once, for <see cref="LabelRaw"/>.</summary>
    public static byte[] Escape(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, ExpositionFormat.PrometheusText);
        writer.WriteEscaped(value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A label whose value formats itself as UTF-8 (numbers, addresses) and needs no escaping.</summary>
    public void Label<T>(ReadOnlySpan<byte> name, T value)
        where T : IUtf8SpanFormattable
    {
        StartLabel(name);
        var span = _output.GetSpan(64);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture))
        {
            span = _output.GetSpan(256);
            if (!value.TryFormat(span, out written, default, CultureInfo.InvariantCulture))
            {
                written = 0;
            }
        }

        _output.Advance(written);
        WriteRaw("\""u8);
    }

    public void Value(ulong value)
    {
        CloseLabels();
        var span = _output.GetSpan(MaxNumberBytes);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        span[written++] = (byte)'\n';
        _output.Advance(written);
    }

    public void Value(long value)
    {
        CloseLabels();
        var span = _output.GetSpan(MaxNumberBytes);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        span[written++] = (byte)'\n';
        _output.Advance(written);
    }

    public void Value(double value)
    {
        CloseLabels();
        if (double.IsNaN(value))
        {
            WriteRaw("NaN\n"u8);
            return;
        }

        if (double.IsInfinity(value))
        {
            WriteRaw(value > 0 ? "+Inf\n"u8 : "-Inf\n"u8);
            return;
        }

        var span = _output.GetSpan(MaxNumberBytes);
        value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture);
        span[written++] = (byte)'\n';
        _output.Advance(written);
    }

    /// <summary>Writes bytes that are already valid exposition text (another serializer's output).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }

    /// <summary>Ends an OpenMetrics exposition; nothing for Prometheus text.</summary>
    public void End()
    {
        if (Format == ExpositionFormat.OpenMetrics)
        {
            WriteRaw("# EOF\n"u8);
        }
    }

    private void StartLabel(ReadOnlySpan<byte> name)
    {
        WriteRaw(_labelsWritten == 0 ? "{"u8 : ","u8);
        _labelsWritten++;
        WriteRaw(name);
        WriteRaw("=\""u8);
    }

    private void CloseLabels() => WriteRaw(_labelsWritten == 0 ? " "u8 : "} "u8);

    private void WriteEscaped(string value)
    {
        // Lone surrogates become U+FFFD through the UTF-8 encoder's replacement fallback.
        var max = Encoding.UTF8.GetMaxByteCount(value.Length) * 2;
        var span = _output.GetSpan(max);
        var written = 0;
        var encoded = Encoding.UTF8.GetBytes(value, span[(max / 2)..]);
        for (var i = 0; i < encoded; i++)
        {
            var b = span[(max / 2) + i];
            switch (b)
            {
                case (byte)'\\':
                    span[written++] = (byte)'\\';
                    span[written++] = (byte)'\\';
                    break;
                case (byte)'"':
                    span[written++] = (byte)'\\';
                    span[written++] = (byte)'"';
                    break;
                case (byte)'\n':
                    span[written++] = (byte)'\\';
                    span[written++] = (byte)'n';
                    break;
                default:
                    span[written++] = b;
                    break;
            }
        }

        _output.Advance(written);
    }
}
