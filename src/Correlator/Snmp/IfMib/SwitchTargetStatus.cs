namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>
/// The health of one polled switch: whether its last poll succeeded, when one last did, how long the last took, why the
/// last failed (a label-safe reason), how many polls failed by reason since start, and how many undecodable datagrams
/// the agent sent, how often the agent restarted (sysUpTime went backwards) and its last sysUpTime.
/// </summary>
public sealed record SwitchTargetStatus(
    string Switch,
    bool Up,
    double? LastSuccessUnixSeconds,
    double LastPollDurationSeconds,
    string? LastFailureReason,
    IReadOnlyDictionary<string, long> FailuresByReason,
    long MalformedDatagrams = 0,
    long AgentRestarts = 0,
    double? AgentUptimeSeconds = null);
