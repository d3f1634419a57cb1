namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>
/// Polls one switch's IF-MIB: counters and state every call, label columns (ifName, ifAlias, ifDescr) on the first call,
/// every <c>labelRefreshEvery</c> calls and whenever an ifIndex appears that the labels do not know. All columns of one
/// poll go in one side-by-side GetBulk walk. When ifXTable has no counters, ifTable's 32-bit ones are used instead.
/// Each poll first reads sysUpTime: when it goes backwards the agent restarted (or sysUpTime wrapped after 497 days);
/// with a clock, also when it advanced clearly less than the time that certainly passed between the two answers (an
/// agent that had run only briefly and restarted during a longer outage comes back with a sysUpTime above the old one).
/// A restart is counted and makes this poll re-read the labels, because an agent may renumber ifIndex when it restarts
/// and stale labels would put one port's counters under another port's name (a bogus jump). Counters themselves are
/// passed through as the agent reports them: a reset shows as a decrease, which Prometheus' rate() treats as a reset.
/// </summary>
public sealed class IfMibPoller
{
    public const int MaxRowsPerColumn = 65536;

    private static readonly Oid SysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");

    private readonly string _switch;
    private readonly SnmpClient _client;
    private readonly int _maxRepetitions;
    private readonly int _labelRefreshEvery;
    private readonly Func<string, bool> _include;
    private IfMibLabels? _labels;
    private bool _use32BitCounters;
    /// <summary>
    /// How much less sysUpTime may advance than the time that passed between two answers before it counts as a restart:
    /// 2 s plus 5% of that time. Its 10 ms ticks and an agent's clock rate need far less; the rest is for agents that
    /// answer from a cache a few seconds old.
    /// </summary>
    private static readonly TimeSpan RestartSlack = TimeSpan.FromSeconds(2);

    private readonly TimeProvider? _time;
    private long _polls;
    private ulong? _lastUptime;
    private long? _lastUptimeAnsweredAt;

    /// <param name="time">The clock that times sysUpTime's answers (restart detection beyond a backwards step); null: none.</param>
    public IfMibPoller(string switchName, SnmpClient client, int maxRepetitions, int labelRefreshEvery, Func<string, bool> include, TimeProvider? time = null)
    {
        _time = time;
        _switch = switchName;
        _client = client;
        _maxRepetitions = maxRepetitions;
        _labelRefreshEvery = Math.Max(1, labelRefreshEvery);
        _include = include;
    }

    /// <summary>How many label walks this poller has done (for tests and the benchmark).</summary>
    public int LabelWalks { get; private set; }

    /// <summary>How many times sysUpTime went backwards between two polls (agent restarts).</summary>
    public long AgentRestarts { get; private set; }

    /// <summary>The agent's sysUpTime at the last poll, in hundredths of a second; null if it has none.</summary>
    public ulong? LastUptimeTicks => _lastUptime;

    public async Task<SwitchSnapshot> PollAsync(CancellationToken cancellationToken)
    {
        var askedAt = _time?.GetTimestamp();
        var uptime = await ReadUptimeAsync(cancellationToken).ConfigureAwait(false);
        var answeredAt = _time?.GetTimestamp();
        var restarted = uptime is { } now && _lastUptime is { } then && (now < then || AdvancedTooLittle(now - then, askedAt));
        if (restarted)
        {
            AgentRestarts++;
        }

        if (uptime is not null)
        {
            _lastUptime = uptime;
            _lastUptimeAnsweredAt = answeredAt;
        }
        var withLabels = _labels is null || restarted || _polls % _labelRefreshEvery == 0;
        _polls++;
        var columns = new List<Oid>(IfMibOids.CounterColumns);
        if (_use32BitCounters)
        {
            columns.AddRange(IfMibOids.Fallback32BitColumns);
        }

        var labelStart = columns.Count;
        if (withLabels)
        {
            columns.AddRange(IfMibOids.LabelColumns);
        }

        var walked = await SnmpWalker.WalkAsync(_client, columns, _maxRepetitions, MaxRowsPerColumn, cancellationToken).ConfigureAwait(false);
        var counters = walked[..IfMibOids.CounterColumns.Count];
        var fallback = _use32BitCounters ? walked[IfMibOids.CounterColumns.Count..labelStart] : null;
        if (withLabels)
        {
            _labels = IfMibLabels.From(walked[labelStart..]);
            LabelWalks++;
        }

        if (!_use32BitCounters && counters[0].Count == 0)
        {
            _use32BitCounters = true;
            fallback = await SnmpWalker.WalkAsync(_client, IfMibOids.Fallback32BitColumns, _maxRepetitions, MaxRowsPerColumn, cancellationToken).ConfigureAwait(false);
        }

        if (!withLabels && HasUnknownIndex(counters, fallback))
        {
            _labels = IfMibLabels.From(await SnmpWalker.WalkAsync(_client, IfMibOids.LabelColumns, _maxRepetitions, MaxRowsPerColumn, cancellationToken).ConfigureAwait(false));
            LabelWalks++;
        }

        return IfMibTable.Build(_switch, _labels!, counters, fallback, _include);
    }

    /// <summary>
    /// The agent answered the last poll before <see cref="_lastUptimeAnsweredAt"/> and this one after
    /// <paramref name="askedAt"/>: at least that much time passed between its two sysUpTime readings.
    /// </summary>
    private bool AdvancedTooLittle(ulong advancedTicks, long? askedAt)
    {
        if (_time is null || askedAt is not { } asked || _lastUptimeAnsweredAt is not { } answered)
        {
            return false;
        }

        var atLeast = _time.GetElapsedTime(answered, asked);
        return TimeSpan.FromMilliseconds(advancedTicks * 10.0) + RestartSlack + (atLeast / 20) < atLeast;
    }

    private async Task<ulong?> ReadUptimeAsync(CancellationToken cancellationToken)
    {
        var answer = await _client.GetAsync([SysUpTime], cancellationToken).ConfigureAwait(false);
        return answer.ErrorStatus == 0 && answer.VarBinds.Count == 1 && answer.VarBinds[0].Value.Type == SnmpType.TimeTicks
            ? answer.VarBinds[0].Value.Number
            : null;
    }

    private bool HasUnknownIndex(IReadOnlyList<VarBind>[] counters, IReadOnlyList<VarBind>[]? fallback)
    {
        var known = _labels!.ByIndex;
        var status = counters[9]; // ifOperStatus: every row has one
        foreach (var binding in fallback is null ? status : fallback[0])
        {
            if (!known.ContainsKey(binding.Oid[^1]))
            {
                return true;
            }
        }

        return false;
    }
}
