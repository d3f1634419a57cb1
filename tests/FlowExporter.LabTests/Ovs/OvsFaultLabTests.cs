using System.Diagnostics;
using System.Net.Sockets;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ovs;

/// <summary>Faults that need the real OVS tools: a database socket that accepts and never answers, in both modes.</summary>
[Trait("Category", "Lab")]
public sealed class OvsFaultLabTests
{
    [Theory]
    [InlineData("ovsdb")]
    [InlineData("vsctl")]
    public async Task A_socket_that_accepts_and_never_answers_fails_in_bounded_time_with_up_0_and_no_series(string mode)
    {
        LabPrerequisites.RequireOvsLab();
        var dir = Directory.CreateTempSubdirectory("fe-silent-").FullName;
        var path = Path.Combine(dir, "db.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        var accepted = new List<Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await listener.AcceptAsync(stop.Token)); // held open, never read or written
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        });

        try
        {
            await using var kit = new OvsLabKit(OvsLabKit.OptionsFor(mode, "unix:" + path));
            var started = Stopwatch.StartNew();
            await kit.StartAsync();

            var health = string.Empty;
            await OvsLabKit.WaitUntilAsync(
                async () =>
                {
                    health = await kit.HealthTextAsync();
                    return health.Contains("flowexporter_source_errors_total{source=\"ovs\"", StringComparison.Ordinal);
                },
                TimeSpan.FromSeconds(15),
                () => "a failure to be counted");
            Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
            Assert.False(kit.IsUp);
            Assert.Equal(string.Empty, await kit.ScrapeAsync());
            Assert.Contains("flowexporter_source_up{source=\"ovs\"} 0", health);
            Assert.NotEmpty(accepted);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Dispose();
            await accepting;
            accepted.ForEach(s => s.Dispose());
            Directory.Delete(dir, recursive: true);
        }
    }
}
