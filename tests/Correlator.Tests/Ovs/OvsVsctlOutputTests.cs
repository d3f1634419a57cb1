using System.Text;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsVsctlOutputTests
{
    [Theory]
    [InlineData("")]
    [InlineData("ovs-vsctl: unix:/x: database connection failed\n")]
    [InlineData("{\"data\":[],\"headings\":[\"_uuid\",\"name\",\"ports\"]}\n")]
    [InlineData("{\"data\":[[[\"uuid\",\"b\"],\"br0\"]],\"headings\":[\"_uuid\",\"name\",\"ports\"]}\n{}\n{}\n")]
    [InlineData("{\"data\":[],\"headings\":[\"_uuid\",\"name\",\"ports\"]}\n{\"data\":[],\"headings\":[\"_uuid\",\"name\",\"interfaces\"]}\n{\"data\":[],\"head")]
    [InlineData("{\"data\":[],\"headings\":[]}{\"data\":[],\"headings\":[]}{\"data\":[],\"headings\":[]}{\"data\":[],\"headings\":[]}")]
    [InlineData("{\"data\":[[[\"uuid\",\"b\"],\"br0\",[\"set\",[]]]],\"headings\":[\"name\",\"ports\",\"_uuid\"]}\n{\"data\":[],\"headings\":[]}\n{\"data\":[],\"headings\":[]}")]
    [InlineData("{\"data\":[],\"headings\":[]}\n{\"data\":[],\"headings\":[]}\n{\"data\":[],\"headings\":[]]}")]
    public void Garbage_truncated_or_misshapen_output_is_a_format_error(string output)
    {
        Assert.Throws<OvsdbFormatException>(() => OvsVsctlOutput.Parse(Encoding.UTF8.GetBytes(output)));
    }

    [Fact]
    public void Every_truncation_of_the_real_output_is_an_error_and_never_a_partial_snapshot()
    {
        var bytes = OvsFixtures.Bytes("lab-vsctl-bridge-port-interface.json");
        var full = OvsVsctlOutput.Parse(bytes);
        Assert.Equal(5, full.Interfaces.Count);
        for (var cut = 0; cut < bytes.Length - 1; cut += 7)
        {
            Assert.Throws<OvsdbFormatException>(() => OvsVsctlOutput.Parse(bytes.AsSpan(0, cut)));
        }
    }
}
