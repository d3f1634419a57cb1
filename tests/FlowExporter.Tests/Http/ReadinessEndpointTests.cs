using System.Net;
using System.Net.Sockets;
using FlowExporter.Configuration;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Hosting;
using FlowExporter.Tests.Snmp;
using FlowExporter.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FlowExporter.Tests.Http;

/// <summary>/readyz on the real host (Kestrel on loopback) with SNMP as the only source: gated by its first success.</summary>
public sealed class ReadinessEndpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("readyz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Readyz_is_503_naming_snmp_while_its_only_switch_is_a_closed_port_and_200_once_it_answers()
    {
        int port;
        using (var reserve = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)reserve.Client.LocalEndPoint!).Port;
        }

        var community = Path.Combine(_dir, "community");
        await File.WriteAllTextAsync(community, "public");
        var config = Path.Combine(_dir, "flowexporter.yaml");
        await File.WriteAllTextAsync(config, $"""
            listen: 127.0.0.1:0
            node: test-node
            snmp:
              targets:
                - name: tor-1
                  address: 127.0.0.1:{port}
                  community_file: {community}
                  interval: 1s
                  timeout: 200ms
                  retries: 1
            """);
        await using var app = ExporterProgram.BuildApp(ExporterOptions.FromConfiguration(
            ConfigLoader.Load(config, new Dictionary<string, string>(), new Dictionary<string, string?>()), "host"));
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

            // Nobody listens: the first poll fails (ICMP port unreachable), and /readyz says so.
            var body = await UntilAsync(client, "/readyz", HttpStatusCode.ServiceUnavailable, b => b.Contains("(port_unreachable)", StringComparison.Ordinal));
            Assert.Equal("not ready: snmp: tor-1 (port_unreachable)\n", body);
            Assert.Equal("ok\n", await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
            var samples = Exposition.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            Assert.Equal(0, Assert.Single(samples.Named("flowexporter_source_up"), s => s.Has(("source", "snmp"))).Value);
            Assert.Equal(0, Assert.Single(samples.Named("flowexporter_source_instance_up"), s => s.Has(("source", "snmp"), ("instance", "tor-1"))).Value);

            // A real agent answers on that port: the next poll (after the backoff) succeeds and the exporter is ready.
            await using var agent = new UdpTestAgent(port);
            agent.Mib[IfMibOids.IfName.Append(1)] = SnmpValue.OctetString("Ethernet1/1");
            agent.Mib[IfMibOids.IfHCInOctets.Append(1)] = SnmpValue.Unsigned(SnmpType.Counter64, 7);
            agent.Mib[IfMibOids.IfOperStatus.Append(1)] = SnmpValue.Integer(1);
            Assert.Equal("ready\n", await UntilAsync(client, "/readyz", HttpStatusCode.OK, _ => true));
            samples = Exposition.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            Assert.Equal(1, Assert.Single(samples.Named("flowexporter_source_up"), s => s.Has(("source", "snmp"))).Value);
            Assert.Equal(1, Assert.Single(samples.Named("flowexporter_source_instance_up"), s => s.Has(("source", "snmp"), ("instance", "tor-1"))).Value);
            Assert.Equal(7, Assert.Single(samples.Named("network_switch_port_receive_bytes_total"), s => s.Has(("switch", "tor-1"))).Value);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task<string> UntilAsync(HttpClient client, string path, HttpStatusCode status, Func<string, bool> accept)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string last = string.Empty;
        HttpStatusCode lastStatus = 0;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            (lastStatus, last) = (response.StatusCode, await response.Content.ReadAsStringAsync());
            if (lastStatus == status && accept(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"{path} never answered {(int)status} as expected within 30s; last {(int)lastStatus}: {last}");
    }
}
