namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>
/// The health of one polled switch: whether its last poll succeeded, when one last did, how long the last took, why the
/// last failed (a label-safe reason), and how many polls failed by reason since start.
/// </summary>
public sealed record SwitchTargetStatus(
    string Switch,
    bool Up,
    double? LastSuccessUnixSeconds,
    double LastPollDurationSeconds,
    string? LastFailureReason,
    IReadOnlyDictionary<string, long> FailuresByReason);
