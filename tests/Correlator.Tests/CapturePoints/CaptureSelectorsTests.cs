using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Tests.CapturePoints;

public sealed class CaptureSelectorsTests
{
    [Fact]
    public void Entries_split_into_includes_excludes_and_discovery_sources()
    {
        var selectors = CaptureSelectors.Parse(["eth0", "veth*", "!veth-test*", "veth*"], ["uplinks", "ovs_pod_ports", "uplinks"]);

        Assert.Equal(["eth0", "veth*"], selectors.Includes.Select(s => s.Entry));
        Assert.Equal(["!veth-test*"], selectors.Excludes.Select(s => s.Entry));
        Assert.True(selectors.IsExcluded("veth-test1"));
        Assert.False(selectors.IsExcluded("veth1"));
        Assert.Equal([DiscoverySource.OvsPodPorts, DiscoverySource.Uplinks], selectors.Discover.Order());
        Assert.Equal(["eth0", "veth*", "discover:ovs_pod_ports", "discover:uplinks"], selectors.Labels);
    }

    [Fact]
    public void An_invalid_glob_names_the_key_and_entry()
    {
        var error = Assert.Throws<CapturePointConfigException>(() => CaptureSelectors.Parse(["eth0", "!veth[0-9"], []));
        Assert.Equal("capture.interfaces[1] '!veth[0-9'", error.Key);
        Assert.Equal("capture.interfaces[1] '!veth[0-9': invalid interface name or glob: the class opened at position 5 is not closed with ']'", error.Message);
    }

    [Fact]
    public void A_lone_exclamation_mark_is_an_empty_pattern()
    {
        var error = Assert.Throws<CapturePointConfigException>(() => CaptureSelectors.Parse(["!"], []));
        Assert.Equal("capture.interfaces[0] '!': invalid interface name or glob: an empty pattern", error.Message);
    }

    [Fact]
    public void A_name_longer_than_an_interface_name_can_be_is_refused()
    {
        var error = Assert.Throws<CapturePointConfigException>(() => CaptureSelectors.Parse(["abcdefghijklmnop"], []));
        Assert.Equal("capture.interfaces[0] 'abcdefghijklmnop': 'abcdefghijklmnop' is longer than the 15 characters an interface name can have", error.Message);
    }

    [Fact]
    public void An_unknown_discovery_source_names_the_key_and_the_known_ones()
    {
        var error = Assert.Throws<CapturePointConfigException>(() => CaptureSelectors.Parse([], ["uplinks", "pods"]));
        Assert.Equal("capture.discover[1] 'pods'", error.Key);
        Assert.Equal("capture.discover[1] 'pods': unknown discovery source (known: ovs_pod_ports, uplinks)", error.Message);
    }
}
