using System.Security.Cryptography;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;

namespace FlowExporter.Snmp;

/// <summary>
/// One switch being polled: its client and IF-MIB poller (which keep engine state and cached labels between polls), its
/// last good snapshot and its health. Polls of one target never overlap.
/// </summary>
internal sealed class SnmpTarget : IDisposable
{
    private readonly IfMibPoller _poller;
    private readonly SnmpClient _client;
    private readonly IDisposable? _transport;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _failures = new(StringComparer.Ordinal);
    private SwitchSnapshot? _snapshot;
    private SwitchTargetStatus _status;

    public SnmpTarget(SnmpTargetOptions options, ISnmpTransport transport, TimeProvider time)
    {
        Options = options;
        _transport = transport as IDisposable;
        var firstId = RandomNumberGenerator.GetInt32(1, 0x3fff_0000);
        var client = _client = options.IsV3
            ? new UsmClient(transport, options.ToUsmUser(), options.Context, time, firstId, BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)))
            : (SnmpClient)new CommunityClient(transport, System.Text.Encoding.UTF8.GetBytes(options.Community!.Reveal()), firstId);
        _poller = new IfMibPoller(options.Name, client, options.MaxRepetitions, options.LabelRefreshEvery, options.Includes, time);
        _status = new SwitchTargetStatus(options.Name, false, null, 0, null, new Dictionary<string, long>());
    }

    public SnmpTargetOptions Options { get; }

    public SwitchSnapshot? Snapshot => Volatile.Read(ref _snapshot);

    public SwitchTargetStatus Status => Volatile.Read(ref _status);

    public Task<SwitchSnapshot> PollAsync(CancellationToken cancellationToken) => _poller.PollAsync(cancellationToken);

    public void Succeeded(SwitchSnapshot snapshot, DateTimeOffset at, TimeSpan duration)
    {
        lock (_gate)
        {
            Volatile.Write(ref _snapshot, snapshot);
            Volatile.Write(ref _status, new SwitchTargetStatus(Options.Name, true, at.ToUnixTimeMilliseconds() / 1000.0, duration.TotalSeconds, null, new Dictionary<string, long>(_failures), _client.MalformedDatagrams, _poller.AgentRestarts, _poller.LastUptimeTicks / 100.0));
        }
    }

    /// <summary>After a failure the target's port series leave the scrape until the next success (stale counters would mislead).</summary>
    public void Failed(string reason, TimeSpan duration)
    {
        lock (_gate)
        {
            _failures[reason] = _failures.GetValueOrDefault(reason) + 1;
            Volatile.Write(ref _snapshot, null);
            var last = _status.LastSuccessUnixSeconds;
            Volatile.Write(ref _status, new SwitchTargetStatus(Options.Name, false, last, duration.TotalSeconds, reason, new Dictionary<string, long>(_failures), _client.MalformedDatagrams, _poller.AgentRestarts));
        }
    }

    public void Dispose() => _transport?.Dispose();
}
