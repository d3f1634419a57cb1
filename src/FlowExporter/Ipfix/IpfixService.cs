using FlowExporter.Capture;

namespace FlowExporter.Ipfix;

/// <summary>
/// Runs the IPFIX sender for the process. Registered before the capture, so it stops after it: at shutdown every
/// open connection's record goes out (forced end) and the queues get a short while to drain.
/// </summary>
public sealed class IpfixService : IHostedService
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);
    private readonly IpfixExporter _exporter;
    private readonly IServiceProvider _services;

    public IpfixService(IpfixExporter exporter, IServiceProvider services)
    {
        _exporter = exporter;
        _services = services;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _exporter.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _services.GetRequiredService<ConnectionAccounting>().EmitOpenRecords();
        await _exporter.StopAsync(DrainTimeout, cancellationToken).ConfigureAwait(false);
    }
}
