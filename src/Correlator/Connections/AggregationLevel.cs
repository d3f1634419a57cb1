namespace FlowExporter.Correlator.Connections;

/// <summary>How finely connections are exported (the <c>connections.aggregation</c> setting).</summary>
public enum AggregationLevel
{
    /// <summary>One series per connection: the full initiator and target tuple.</summary>
    Connection,

    /// <summary>The initiator's (ephemeral) port dropped: one series per client address and service.</summary>
    Endpoint,

    /// <summary>
    /// One series per pair of pods (and target port): each end named by the pod behind it, decided when the connection
    /// opens; an end that metadata does not know keeps its IP.
    /// </summary>
    PodPair,

    /// <summary>Like <see cref="PodPair"/>, with the pods of one workload merged: namespace and workload per end.</summary>
    WorkloadPair,
}
