using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using FlowExporter.Endpoints;

namespace FlowExporter.Tests.Endpoints;

public sealed class EndpointsFileParserTests
{
    private static IpAddress Ip(string text) => IpAddress.Parse(text);

    [Fact]
    public void Parses_ips_and_cidrs_of_both_families()
    {
        var index = EndpointsFileParser.Parse("""
            # hosts outside Kubernetes
            - ip: 192.0.2.10
              name: db-1
              namespace: legacy
              node: rack-3
              workload: postgres
              workload_kind: VM
            - cidr: 198.51.100.0/24
              name: storage-net
            - ip: "2001:db8::10"
              name: nas
            - cidr: 2001:db8:1::/48
              workload: lab
            """);

        var db = index.Find(Ip("192.0.2.10"))!;
        Assert.Equal(("legacy", "db-1", "rack-3", "VM", "postgres", EndpointSource.StaticFile, false),
            (db.Namespace, db.PodName, db.Node, db.WorkloadKind, db.Workload, db.Source, db.HostNetwork));
        Assert.Equal("storage-net", index.Find(Ip("198.51.100.77"))!.PodName);
        Assert.Equal("nas", index.Find(Ip("2001:db8::10"))!.PodName);
        Assert.Equal("lab", index.Find(Ip("2001:db8:1:ff::1"))!.Workload);
        Assert.Equal(string.Empty, index.Find(Ip("2001:db8:1:ff::1"))!.Namespace);
        Assert.Null(index.Find(Ip("192.0.2.11")));
        Assert.Equal(2, index.Addresses.Count);
        Assert.Equal(2, index.Cidrs.Count);
    }

    [Fact]
    public void Accepts_a_mapping_with_an_endpoints_list_and_an_empty_file()
    {
        var index = EndpointsFileParser.Parse("endpoints:\n  - { ip: 10.1.2.3, name: a }\n");
        Assert.Equal("a", index.Find(Ip("10.1.2.3"))!.PodName);
        Assert.Same(EndpointIndex.Empty, EndpointsFileParser.Parse(""));
        Assert.Same(EndpointIndex.Empty, EndpointsFileParser.Parse("# nothing yet\n"));
    }

    [Theory]
    [InlineData("- ip: 10.0.0.1\n- ip: 10.0.0\n", "entry 1: ip: '10.0.0' is not an IPv4 or IPv6 address")]
    [InlineData("- name: x\n", "entry 0: ip: missing: every entry needs ip or cidr")]
    [InlineData("- ip: 10.0.0.1\n  cidr: 10.0.0.0/8\n", "entry 0: cidr: give either ip or cidr, not both")]
    [InlineData("- cidr: 10.0.0.0/33\n", "entry 0: cidr: '10.0.0.0/33' is not a network such as 10.0.0.0/24 or fd00::/64")]
    [InlineData("- cidr: 10.0.0.1\n", "entry 0: cidr: '10.0.0.1' is not a network such as 10.0.0.0/24 or fd00::/64")]
    [InlineData("- ip: 10.0.0.1\n  nmae: typo\n", "entry 0: nmae: unknown field (known: ip, cidr, name, namespace, node, workload, workload_kind)")]
    [InlineData("- ip: 10.0.0.1\n  name: [a, b]\n", "entry 0: name: must be a single value")]
    [InlineData("- ip: 10.0.0.1\n- ip: 10.0.0.2\n- ip: 10.0.0.1\n", "entry 2: ip: 10.0.0.1 is already given by entry 0")]
    [InlineData("- cidr: 10.0.0.0/8\n- cidr: 10.1.0.0/8\n", "entry 1: cidr: 10.0.0.0/8 is already given by entry 0")]
    [InlineData("- 10.0.0.1\n", "entry 0: entry: is not a mapping (expected keys such as ip, name, namespace)")]
    [InlineData("ip: 10.0.0.1\n", "the file must be a list of entries (or a mapping with an 'endpoints' list)")]
    public void Reports_the_entry_index_and_field(string yaml, string message) =>
        Assert.Equal(message, Assert.Throws<EndpointsFileException>(() => EndpointsFileParser.Parse(yaml)).Message);

    [Fact]
    public void Reports_broken_yaml_with_its_position()
    {
        var error = Assert.Throws<EndpointsFileException>(() => EndpointsFileParser.Parse("- ip: 10.0.0.1\n  name: [unclosed\n"));
        Assert.StartsWith("not valid YAML at line ", error.Message);
    }
}
