using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Tests.Exposition;

public sealed class ExpositionWriterTests
{
    private static readonly MetricFamily Bytes = new("test_bytes_total", MetricType.Counter, "Bytes \\ seen\non the wire.");

    private static string Render(ExpositionFormat format, Action<ExpositionWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, format);
        write(writer);
        writer.End();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Prometheus_text_names_the_counter_with_total_and_escapes_help()
    {
        var text = Render(ExpositionFormat.PrometheusText, w =>
        {
            w.Family(Bytes);
            w.BeginSample(Bytes);
            w.Label("pod"u8, "a\"b\\c\nd");
            w.Label("port"u8, 443);
            w.Value(12UL);
        });

        Assert.Equal(
            "# HELP test_bytes_total Bytes \\\\ seen\\non the wire.\n# TYPE test_bytes_total counter\n" +
            "test_bytes_total{pod=\"a\\\"b\\\\c\\nd\",port=\"443\"} 12\n",
            text);
    }

    [Fact]
    public void OpenMetrics_drops_total_from_the_family_and_ends_with_eof()
    {
        var text = Render(ExpositionFormat.OpenMetrics, w =>
        {
            w.Family(Bytes);
            w.BeginSample(Bytes);
            w.Value(1UL);
        });

        Assert.Equal("# HELP test_bytes Bytes \\\\ seen\\non the wire.\n# TYPE test_bytes counter\ntest_bytes_total 1\n# EOF\n", text);
    }

    [Fact]
    public void Invalid_utf16_in_a_label_value_becomes_the_replacement_character()
    {
        var text = Render(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginSample(Bytes);
            w.Label("alias"u8, "x\uD800y");
            w.Value(double.PositiveInfinity);
        });

        Assert.Equal("test_bytes_total{alias=\"x\uFFFDy\"} +Inf\n", text);
    }

    [Fact]
    public void A_histogram_series_is_its_buckets_sum_and_count_with_or_without_labels()
    {
        var latency = new MetricFamily("test_seconds", MetricType.Histogram, "Latency.");
        byte[][] buckets = [ExpositionWriter.RenderLabel("le"u8, "0.5"), ExpositionWriter.RenderLabel("le"u8, "+Inf")];
        var pair = new LabelSet();
        pair.Add("pod"u8, "web-0");
        pair.Add("port"u8, "443");
        var text = Render(ExpositionFormat.PrometheusText, w =>
        {
            w.Histogram(latency, pair.All, buckets, [3, 4], 1.25, 4);
            w.Histogram(latency, default, buckets, [0, 18446744073709551615], 0, 18446744073709551615);
        });

        Assert.Equal(
            "test_seconds_bucket{pod=\"web-0\",port=\"443\",le=\"0.5\"} 3\n" +
            "test_seconds_bucket{pod=\"web-0\",port=\"443\",le=\"+Inf\"} 4\n" +
            "test_seconds_sum{pod=\"web-0\",port=\"443\"} 1.25\n" +
            "test_seconds_count{pod=\"web-0\",port=\"443\"} 4\n" +
            "test_seconds_bucket{le=\"0.5\"} 0\n" +
            "test_seconds_bucket{le=\"+Inf\"} 18446744073709551615\n" +
            "test_seconds_sum 0\n" +
            "test_seconds_count 18446744073709551615\n",
            text);
    }
}
