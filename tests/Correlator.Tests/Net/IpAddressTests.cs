using System.Net;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Net;

public sealed class IpAddressTests
{
    [Theory]
    [InlineData("10.99.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1")]
    [InlineData("2001:470:e5bf:dead:4957:2174:e82c:4887")]
    [InlineData("fe80::1:0:0:0")]
    [InlineData("1:0:0:2:0:0:0:3")]
    [InlineData("2607:f8b0:400c:c03::1a")]
    public void Formats_like_the_runtime(string text)
    {
        var expected = IPAddress.Parse(text).ToString();
        Assert.Equal(expected, IpAddress.Parse(text).ToString());
    }

    [Fact]
    public void Ipv4_mapped_ipv6_is_the_ipv4_address()
    {
        Assert.Equal(IpAddress.Parse("10.0.0.1"), IpAddress.Parse("::ffff:10.0.0.1"));
        Assert.Equal("10.0.0.1", IpAddress.Parse("::ffff:10.0.0.1").ToString());
    }

    [Fact]
    public void Round_trips_through_bytes()
    {
        var address = IpAddress.Parse("2001:db8::42");
        Assert.Equal(IPAddress.Parse("2001:db8::42"), address.ToIPAddress());
        Assert.True(IpAddress.Parse("10.0.0.1").CompareTo(IpAddress.Parse("10.0.0.2")) < 0);
        Assert.True(IpAddress.Parse("10.0.0.1").IsV4);
        Assert.True(IpAddress.Parse("::1").IsV6);
    }
}
