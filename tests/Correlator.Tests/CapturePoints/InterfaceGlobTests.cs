using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Correlator.Tests.CapturePoints;

public sealed class InterfaceGlobTests
{
    [Theory]
    [InlineData("veth*", "veth", true)]
    [InlineData("veth*", "veth1a2b3c", true)]
    [InlineData("veth*", "xveth1", false)]
    [InlineData("cali*", "cali12ab34cd56e", true)]
    [InlineData("tap*", "tap0", true)]
    [InlineData("ovn-k8s-mp*", "ovn-k8s-mp0", true)]
    [InlineData("ovn-k8s-mp*", "ovn-k8s-m", false)]
    [InlineData("eth?", "eth0", true)]
    [InlineData("eth?", "eth10", false)]
    [InlineData("eth[0-3]", "eth2", true)]
    [InlineData("eth[0-3]", "eth4", false)]
    [InlineData("eth[!0-3]", "eth4", true)]
    [InlineData("eth[^0-3]", "eth1", false)]
    [InlineData("eth[]a]", "eth]", true)]
    [InlineData("eth[]a]", "etha", true)]
    [InlineData("eth[a-]", "eth-", true)]
    [InlineData("*a*b", "xaxxb", true)]
    [InlineData("*a*b", "xaxxbc", false)]
    [InlineData("a**b", "ab", true)]
    [InlineData("*", "", true)]
    [InlineData(@"br\*", "br*", true)]
    [InlineData(@"br\*", "br0", false)]
    [InlineData("eth0", "eth0", true)]
    [InlineData("eth0", "eth00", false)]
    public void Matches_as_fnmatch_does(string pattern, string name, bool expected)
    {
        Assert.True(InterfaceGlob.TryParse(pattern, out var glob, out var error), error);
        Assert.Equal(expected, glob!.IsMatch(name));
    }

    [Theory]
    [InlineData("eth0", true, "eth0")]
    [InlineData(@"br\*", true, "br*")]
    [InlineData("veth*", false, null)]
    [InlineData("eth[01]", false, null)]
    public void A_pattern_without_wildcards_is_a_literal_name(string pattern, bool literal, string? name)
    {
        Assert.True(InterfaceGlob.TryParse(pattern, out var glob, out _));
        Assert.Equal(literal, glob!.IsLiteral);
        Assert.Equal(name, glob.LiteralName);
    }

    [Theory]
    [InlineData("", "an empty pattern")]
    [InlineData("veth[0-9", "the class opened at position 5 is not closed with ']'")]
    [InlineData("eth[]", "the class opened at position 4 is not closed with ']'")]
    [InlineData(@"eth\", "a trailing backslash escapes nothing")]
    [InlineData("eth[9-0]", "the range '9-0' at position 5 runs backwards")]
    [InlineData("eth 0", "' ' at position 4 cannot be part of an interface name")]
    [InlineData("a/b", "'/' at position 2 cannot be part of an interface name")]
    public void An_invalid_pattern_is_refused_with_the_reason(string pattern, string reason)
    {
        Assert.False(InterfaceGlob.TryParse(pattern, out var glob, out var error));
        Assert.Null(glob);
        Assert.Equal(reason, error);
    }
}
