namespace FlowExporter.Correlator.Connections;

/// <summary>How finely connections are exported (the <c>connections.aggregation</c> setting).</summary>
public enum AggregationLevel
{
    /// <summary>One series per connection: the full initiator and target tuple.</summary>
    Connection,

    /// <summary>The initiator's (ephemeral) port dropped: one series per client address and service.</summary>
    Endpoint,
}
