namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// Takes the flow records the connection table emits. Called on the packet path, under the table's owner: it must
/// not block (queue or drop).
/// </summary>
public interface IFlowRecordSink
{
    void Emit(in FlowRecord record);
}
