using System.Text.Json;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsdbDatumTests
{
    private static JsonElement J(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void Optional_string_reads_a_scalar_an_empty_set_and_a_one_element_set()
    {
        Assert.Equal("up", OvsdbDatum.OptionalString(J("\"up\""), "c"));
        Assert.Null(OvsdbDatum.OptionalString(J("[\"set\",[]]"), "c"));
        Assert.Equal("x", OvsdbDatum.OptionalString(J("[\"set\",[\"x\"]]"), "c"));
    }

    [Fact]
    public void Optional_integer_reads_a_number_and_an_empty_set()
    {
        Assert.Equal(-1L, OvsdbDatum.OptionalInteger(J("-1"), "ofport"));
        Assert.Equal(65534L, OvsdbDatum.OptionalInteger(J("[\"set\",[65534]]"), "ofport"));
        Assert.Null(OvsdbDatum.OptionalInteger(J("[\"set\",[]]"), "ofport"));
    }

    [Fact]
    public void A_uuid_set_with_one_element_is_the_bare_uuid_atom()
    {
        Assert.Equal(["a-b"], OvsdbDatum.UuidSet(J("[\"uuid\",\"a-b\"]"), "ports"));
        Assert.Equal(["a", "b"], OvsdbDatum.UuidSet(J("[\"set\",[[\"uuid\",\"a\"],[\"uuid\",\"b\"]]]"), "ports"));
        Assert.Empty(OvsdbDatum.UuidSet(J("[\"set\",[]]"), "ports"));
    }

    [Fact]
    public void Maps_read_as_dictionaries()
    {
        var ids = OvsdbDatum.StringMap(J("[\"map\",[[\"iface-id\",\"ns_pod\"],[\"attached-mac\",\"aa:bb:cc:dd:ee:ff\"]]]"), "external_ids");
        Assert.Equal("ns_pod", ids["iface-id"]);
        Assert.Equal("aa:bb:cc:dd:ee:ff", ids["attached-mac"]);
        var stats = OvsdbDatum.IntegerMap(J("[\"map\",[[\"rx_bytes\",9007199254740993]]]"), "statistics");
        Assert.Equal(9007199254740993L, stats["rx_bytes"]);
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("[\"set\",[1,2]]")]
    [InlineData("[\"map\",[[\"k\"]]]")]
    [InlineData("[\"bag\",[]]")]
    [InlineData("true")]
    [InlineData("[\"set\",[{\"x\":1}]]")]
    public void Shapes_that_are_not_ovsdb_encodings_are_rejected_with_the_column_named(string json)
    {
        var error = Assert.Throws<OvsdbFormatException>(() =>
        {
            _ = OvsdbDatum.OptionalString(J(json), "name");
            _ = OvsdbDatum.StringMap(J(json), "name");
        });
        Assert.Contains("column name", error.Message);
    }

    [Fact]
    public void Integers_out_of_range_or_fractional_are_rejected()
    {
        Assert.Throws<OvsdbFormatException>(() => OvsdbDatum.IntegerMap(J("[\"map\",[[\"rx_bytes\",1.5]]]"), "statistics"));
        Assert.Throws<OvsdbFormatException>(() => OvsdbDatum.IntegerMap(J("[\"map\",[[\"rx_bytes\",18446744073709551616]]]"), "statistics"));
        Assert.Throws<OvsdbFormatException>(() => OvsdbDatum.IntegerMap(J("[\"map\",[[\"rx_bytes\",\"12\"]]]"), "statistics"));
    }
}
