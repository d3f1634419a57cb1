using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Tests.Exposition;

/// <summary>A label set rendered once must write exactly what labels written one by one write.</summary>
public sealed class LabelSetTests
{
    private static readonly MetricFamily Bytes = new("test_bytes_total", MetricType.Counter, "Bytes.");

    private static string Text(Action<ExpositionWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static LabelSet Set(bool place)
    {
        var set = new LabelSet();
        set.Add("pod"u8, "a\"b\\c\nd");
        set.Add("port"u8, (ushort)443);
        if (place)
        {
            set.MarkPlace();
        }

        set.AddRaw("evidence"u8, "syn"u8);
        return set;
    }

    [Fact]
    public void The_own_label_goes_at_the_marked_place_with_the_separators_of_labels_written_one_by_one()
    {
        var set = Set(place: true);
        var own = ExpositionWriter.RenderLabel("direction"u8, "initiator_to_target");
        var expected = Text(w =>
        {
            w.BeginSample(Bytes);
            w.Label("pod"u8, "a\"b\\c\nd");
            w.Label("port"u8, 443);
            w.Label("direction"u8, "initiator_to_target");
            w.Label("evidence"u8, "syn");
            w.Value(7UL);
        });

        Assert.Equal(expected, Text(w => w.Sample(Bytes, default, set.Before, own, set.After, 7UL)));
        Assert.Equal("test_bytes_total{pod=\"a\\\"b\\\\c\\nd\",port=\"443\",direction=\"initiator_to_target\",evidence=\"syn\"} 7\n", expected);
    }

    [Fact]
    public void Without_an_own_label_the_parts_join_as_one_label_set()
    {
        var set = Set(place: true);
        Assert.Equal(
            "test_bytes_total_sum{pod=\"a\\\"b\\\\c\\nd\",port=\"443\",evidence=\"syn\"} 0.5\n",
            Text(w => w.Sample(Bytes, "_sum"u8, set.Before, default, set.After, 0.5)));
        Assert.Equal(
            "test_bytes_total{pod=\"a\\\"b\\\\c\\nd\",port=\"443\",evidence=\"syn\",le=\"+Inf\"} 3\n",
            Text(w => w.Sample(Bytes, default, set.All, ExpositionWriter.RenderLabel("le"u8, "+Inf"), default, 3UL)));
    }

    [Fact]
    public void A_place_first_or_last_and_an_empty_set_write_no_stray_separators()
    {
        var first = new LabelSet();
        first.MarkPlace();
        first.AddRaw("a"u8, "1"u8);
        var last = new LabelSet();
        last.AddRaw("a"u8, "1"u8);
        last.MarkPlace();
        var own = ExpositionWriter.RenderLabel("x"u8, "y");

        Assert.Equal("test_bytes_total{x=\"y\",a=\"1\"} 1\n", Text(w => w.Sample(Bytes, default, first.Before, own, first.After, 1UL)));
        Assert.Equal("test_bytes_total{a=\"1\",x=\"y\"} 1\n", Text(w => w.Sample(Bytes, default, last.Before, own, last.After, 1UL)));
        Assert.Equal("test_bytes_total NaN\n", Text(w => w.Sample(Bytes, default, default, default, default, double.NaN)));
    }

    [Fact]
    public void A_set_is_reused_after_clear_and_grows_past_its_first_buffer()
    {
        var set = Set(place: true);
        set.Clear();
        var value = new string('v', 5000);
        set.Add("long"u8, value);
        Assert.Equal($"long=\"{value}\"", Encoding.UTF8.GetString(set.All));
        Assert.True(set.After.IsEmpty);
    }
}
