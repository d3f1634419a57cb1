using System.Text;
using FlowExporter.Configuration;
using FlowExporter.Hosting;
using FlowExporter.Ipfix;

namespace FlowExporter.Tests.Ipfix;

public sealed class IpfixOptionsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-ipfix-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private SourceConfiguration Load(string yaml, Dictionary<string, string?>? flags = null)
    {
        var path = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(path, yaml);
        var configuration = ConfigLoader.Load(path, new Dictionary<string, string?>(), flags ?? new Dictionary<string, string?>());
        return SourceConfiguration.FromConfiguration(configuration, ExporterOptions.FromConfiguration(configuration, "node-a").Node);
    }

    [Fact]
    public void Without_collectors_ipfix_is_off_with_documented_defaults()
    {
        var options = Load("node: node-a\n").Ipfix;
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(60), options.ActiveTimeout);
        Assert.Equal(1400, options.MaxMessageSize);
        Assert.Equal(IpfixOptions.DomainFromNode("node-a"), options.ObservationDomainId);
    }

    [Fact]
    public void The_default_observation_domain_is_fnv1a_of_the_node_name()
    {
        // FNV-1a 32 of "a" is 0xE40C292C (the published test vector).
        Assert.Equal(0xE40C292Cu, IpfixOptions.DomainFromNode("a"));
        Assert.NotEqual(IpfixOptions.DomainFromNode("node-a"), IpfixOptions.DomainFromNode("node-b"));
    }

    [Fact]
    public void Collectors_of_both_transports_and_every_key_are_read()
    {
        var options = Load("""
            ipfix:
              collectors: [udp://127.0.0.1:4739, "tcp://[::1]:4740", tcp://collector.example:2055]
              active_timeout: 30s
              observation_domain_id: 7
              template_refresh: 10m
              template_refresh_messages: 50
              max_message_size: 1200
              queue_size: 1000
              send_timeout: 2s
              enterprise_number: 99999
            """).Ipfix;
        Assert.Equal(
            [new IpfixCollectorAddress(IpfixTransport.Udp, "127.0.0.1", 4739), new IpfixCollectorAddress(IpfixTransport.Tcp, "::1", 4740), new IpfixCollectorAddress(IpfixTransport.Tcp, "collector.example", 2055)],
            options.Collectors);
        Assert.Equal("tcp://[::1]:4740", options.Collectors[1].ToString());
        Assert.Equal(
            (TimeSpan.FromSeconds(30), 7u, TimeSpan.FromMinutes(10), 50, 1200, 1000, TimeSpan.FromSeconds(2), 99999u),
            (options.ActiveTimeout, options.ObservationDomainId, options.TemplateRefresh, options.TemplateRefreshMessages, options.MaxMessageSize, options.QueueSize, options.SendTimeout, options.EnterpriseNumber));
    }

    [Theory]
    [InlineData("ipfix:\n  colectors: [udp://127.0.0.1:4739]\n", "config: ipfix.colectors: unknown key (did you mean collectors?)")]
    [InlineData("ipfix:\n  collectors: [http://127.0.0.1:4739]\n", "config: ipfix.collectors: 'http://127.0.0.1:4739' is not udp://HOST:PORT or tcp://HOST:PORT")]
    [InlineData("ipfix:\n  collectors: [udp://127.0.0.1]\n", "config: ipfix.collectors: 'udp://127.0.0.1' needs a port in 1..65535 (udp://HOST:PORT)")]
    [InlineData("ipfix:\n  collectors: [\"udp://::1:4739\"]\n", "config: ipfix.collectors: 'udp://::1:4739': put an IPv6 address in brackets (udp://[::1]:4739)")]
    [InlineData("ipfix:\n  collectors: [udp://a:1, udp://a:1]\n", "config: ipfix.collectors: lists a collector twice")]
    [InlineData("ipfix:\n  active_timeout: 0s\n", "config: ipfix.active_timeout: must be at least 1s")]
    [InlineData("ipfix:\n  max_message_size: 100\n", "config: ipfix.max_message_size: 100 is outside 512..65535")]
    [InlineData("ipfix:\n  observation_domain_id: -1\n", "config: ipfix.observation_domain_id: '-1' is not a whole number in 0..4294967295")]
    public void Bad_ipfix_values_name_their_key(string yaml, string message)
    {
        var error = Assert.Throws<ConfigException>(() => Load(yaml));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void The_ipfix_flag_adds_collectors()
    {
        var command = FlowExporter.Commands.CommandLine.Parse(["replay", "x.pcap", "--ipfix", "udp://127.0.0.1:1", "--ipfix", "tcp://127.0.0.1:2"]);
        Assert.Equal("udp://127.0.0.1:1", command.Overrides["ipfix:collectors:0"]);
        Assert.Equal("tcp://127.0.0.1:2", command.Overrides["ipfix:collectors:1"]);
    }

    [Fact]
    public async Task An_unknown_ipfix_key_exits_2_naming_it()
    {
        var path = Path.Combine(_directory, "bad.yaml");
        await File.WriteAllTextAsync(path, "ipfix:\n  timeout: 5s\n");
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exit = await ExporterProgram.RunAsync(["replay", "x.pcap", "--config", path], output, error, new Dictionary<string, string>());
        Assert.Equal(2, exit);
        Assert.Contains("ipfix.timeout: unknown key", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, Encoding.UTF8.GetString(output.ToArray()));
    }
}
