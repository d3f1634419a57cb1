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

    /// <summary>A label value escaped and encoded once, for <see cref="LabelSet.AddRaw"/>.</summary>
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
        var span = _output.GetSpan(MaxNumberBytes);
        var written = FormatValue(value, span);
        span[written++] = (byte)'\n';
        _output.Advance(written);
    }

    /// <summary>
    /// One sample in one write: the family's sample name and <paramref name="nameSuffix"/>, the labels
    /// <paramref name="before"/>, <paramref name="own"/> and <paramref name="after"/> (each comma-separated
    /// <c>name="value"</c> pairs, any of them empty: see <see cref="LabelSet"/> and <see cref="RenderLabel"/>), then
    /// the value.
    /// </summary>
    public void Sample(MetricFamily family, ReadOnlySpan<byte> nameSuffix, ReadOnlySpan<byte> before, ReadOnlySpan<byte> own, ReadOnlySpan<byte> after, ulong value)
    {
        var span = _output.GetSpan(family.SampleName.Length + nameSuffix.Length + before.Length + own.Length + after.Length + MaxNumberBytes + 8);
        var position = WriteSampleStart(span, family, nameSuffix, before, own, after);
        value.TryFormat(span[position..], out var written, default, CultureInfo.InvariantCulture);
        position += written;
        span[position++] = (byte)'\n';
        _output.Advance(position);
    }

    /// <inheritdoc cref="Sample(MetricFamily, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ulong)"/>
    public void Sample(MetricFamily family, ReadOnlySpan<byte> nameSuffix, ReadOnlySpan<byte> before, ReadOnlySpan<byte> own, ReadOnlySpan<byte> after, double value)
    {
        var span = _output.GetSpan(family.SampleName.Length + nameSuffix.Length + before.Length + own.Length + after.Length + MaxNumberBytes + 8);
        var position = WriteSampleStart(span, family, nameSuffix, before, own, after);
        position += FormatValue(value, span[position..]);
        span[position++] = (byte)'\n';
        _output.Advance(position);
    }

    /// <summary>
    /// One histogram series in one write: a <c>_bucket</c> sample per bucket (<paramref name="bucketLabels"/>, each a
    /// rendered <c>le="..."</c>, with its cumulative count), then <c>_sum</c> and <c>_count</c>, all with
    /// <paramref name="labels"/>. The bucket lines share their start (<c>name_bucket{labels,</c>), written once and
    /// copied, so the cost per line is one copy and a number.
    /// </summary>
    public void Histogram(MetricFamily family, ReadOnlySpan<byte> labels, ReadOnlySpan<byte[]> bucketLabels, ReadOnlySpan<ulong> cumulativeCounts, double sum, ulong count)
    {
        var name = family.SampleName;
        var longestBucket = 0;
        foreach (var bucket in bucketLabels)
        {
            longestBucket = Math.Max(longestBucket, bucket.Length);
        }

        var prefixLength = name.Length + "_bucket{"u8.Length + labels.Length + (labels.IsEmpty ? 0 : 1);
        var lineRoom = prefixLength + longestBucket + MaxNumberBytes + 3;
        var tailRoom = 2 * (name.Length + "_count"u8.Length + labels.Length + MaxNumberBytes + 4);
        var span = _output.GetSpan((lineRoom * bucketLabels.Length) + tailRoom);

        var position = 0;
        Append(span, name, ref position);
        Append(span, "_bucket{"u8, ref position);
        if (!labels.IsEmpty)
        {
            Append(span, labels, ref position);
            span[position++] = (byte)',';
        }

        var prefix = span[..prefixLength];
        for (var i = 0; i < bucketLabels.Length; i++)
        {
            if (i > 0)
            {
                Append(span, prefix, ref position);
            }

            Append(span, bucketLabels[i], ref position);
            span[position++] = (byte)'}';
            span[position++] = (byte)' ';
            cumulativeCounts[i].TryFormat(span[position..], out var written, default, CultureInfo.InvariantCulture);
            position += written;
            span[position++] = (byte)'\n';
        }

        position += WriteSampleStart(span[position..], family, "_sum"u8, labels, default, default);
        position += FormatValue(sum, span[position..]);
        span[position++] = (byte)'\n';
        position += WriteSampleStart(span[position..], family, "_count"u8, labels, default, default);
        count.TryFormat(span[position..], out var countWritten, default, CultureInfo.InvariantCulture);
        position += countWritten;
        span[position++] = (byte)'\n';
        _output.Advance(position);
    }

    /// <summary>One label rendered once, <c>name="value"</c>, for the <c>own</c> part of <see cref="Sample(MetricFamily, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ulong)"/>.</summary>
    public static byte[] RenderLabel(ReadOnlySpan<byte> name, string value)
    {
        var set = new LabelSet();
        set.Add(name, value);
        return set.All.ToArray();
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

    private static int WriteSampleStart(Span<byte> span, MetricFamily family, ReadOnlySpan<byte> nameSuffix, ReadOnlySpan<byte> before, ReadOnlySpan<byte> own, ReadOnlySpan<byte> after)
    {
        family.SampleName.CopyTo(span);
        var position = family.SampleName.Length;
        nameSuffix.CopyTo(span[position..]);
        position += nameSuffix.Length;
        var parts = 0;
        AppendPart(span, before, ref position, ref parts);
        AppendPart(span, own, ref position, ref parts);
        AppendPart(span, after, ref position, ref parts);
        if (parts > 0)
        {
            span[position++] = (byte)'}';
        }

        span[position++] = (byte)' ';
        return position;
    }

    private static void Append(Span<byte> span, ReadOnlySpan<byte> bytes, ref int position)
    {
        bytes.CopyTo(span[position..]);
        position += bytes.Length;
    }

    private static void AppendPart(Span<byte> span, ReadOnlySpan<byte> part, ref int position, ref int parts)
    {
        if (part.IsEmpty)
        {
            return;
        }

        span[position++] = parts++ == 0 ? (byte)'{' : (byte)',';
        part.CopyTo(span[position..]);
        position += part.Length;
    }

    private static int FormatValue(double value, Span<byte> span)
    {
        if (double.IsNaN(value))
        {
            "NaN"u8.CopyTo(span);
            return 3;
        }

        if (double.IsInfinity(value))
        {
            (value > 0 ? "+Inf"u8 : "-Inf"u8).CopyTo(span);
            return 4;
        }

        value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture);
        return written;
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
        var span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length) * 2);
        _output.Advance(EscapeInto(value, span));
    }

    /// <summary>
    /// Writes the value UTF-8 encoded and escaped into <paramref name="span"/>, which must hold twice its maximum UTF-8
    /// length (the second half is scratch); returns the bytes written. Lone surrogates become U+FFFD.
    /// </summary>
    internal static int EscapeInto(string value, Span<byte> span)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var encoded = Encoding.UTF8.GetBytes(value, span[max..]);
        var written = 0;
        for (var i = 0; i < encoded; i++)
        {
            var b = span[max + i];
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

        return written;
    }
}
