namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// Takes the flow records the connection table emits. Called on the packet path, under the table's owner: it must
/// not block (queue or drop).
/// </summary>
public interface IFlowRecordSink
{
    /// <summary>A live connection's record is ended and a new one started after this long (the sink's active timeout).</summary>
    TimeSpan ActiveTimeout { get; }

    void Emit(in FlowRecord record);
}
