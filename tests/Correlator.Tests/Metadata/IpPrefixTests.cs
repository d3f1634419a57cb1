using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Metadata;

public sealed class IpPrefixTests
{
    [Theory]
    [InlineData("10.244.1.7/16", "10.244.0.0/16")]
    [InlineData("192.0.2.255/25", "192.0.2.128/25")]
    [InlineData("10.0.0.1", "10.0.0.1/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8:1:2::5/48", "2001:db8:1::/48")]
    [InlineData("fd00::1/127", "fd00::/127")]
    [InlineData("::1", "::1/128")]
    public void Parses_and_clears_host_bits(string text, string expected)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix));
        Assert.Equal(expected, prefix.ToString());
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0/8")]
    [InlineData("fd00::/129")]
    [InlineData("")]
    [InlineData("host/24")]
    public void Rejects_bad_prefixes(string text) => Assert.False(IpPrefix.TryParse(text, out _));

    [Fact]
    public void Contains_checks_family_and_bits()
    {
        Assert.True(IpPrefix.TryParse("10.244.0.0/16", out var v4));
        Assert.True(v4.Contains(IpAddress.Parse("10.244.255.1")));
        Assert.False(v4.Contains(IpAddress.Parse("10.245.0.1")));
        Assert.False(v4.Contains(IpAddress.Parse("fd00::10.244.0.1")));

        // An IPv4-mapped IPv6 address is the IPv4 address it maps (IpAddress holds IPv4 in that form).
        Assert.True(v4.Contains(IpAddress.Parse("::ffff:10.244.0.1")));
    }
}
