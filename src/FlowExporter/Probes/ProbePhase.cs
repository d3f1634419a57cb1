namespace FlowExporter.Probes;

/// <summary>Where a probe is, so that a timeout can be told apart from a name that never resolved.</summary>
internal enum ProbePhase
{
    Resolving,
    Connecting,
    Exchanging,
}
