using System.Net;
using System.Net.Sockets;
using FlowExporter.Hosting;

namespace FlowExporter.Tests.Hosting;

public sealed class StartupTests
{
    [Fact]
    public async Task A_taken_port_exits_2_with_one_clear_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var output = new MemoryStream();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ExporterProgram.RunAsync(["--listen", $"127.0.0.1:{port}"], output, error, new Dictionary<string, string>(), timeout.Token);
        Assert.Equal(2, exit);
        Assert.Equal($"flowexporter: listen: 127.0.0.1:{port}: address already in use\n", error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_broken_source_configuration_stops_the_start_with_one_line()
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exit = await ExporterProgram.RunAsync(["--listen", "127.0.0.1:0", "--ovs-mode", "telnet"], output, error, new Dictionary<string, string>());
        Assert.Equal(2, exit);
        Assert.StartsWith("flowexporter: config: ovs", error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().Trim().Split('\n'));
    }
}
