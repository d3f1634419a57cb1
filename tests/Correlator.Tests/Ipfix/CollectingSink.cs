using FlowExporter.Correlator.Ipfix;

namespace FlowExporter.Correlator.Tests.Ipfix;

internal sealed class CollectingSink : IFlowRecordSink
{
    public List<FlowRecord> Records { get; } = [];

    public TimeSpan ActiveTimeout => TimeSpan.FromSeconds(60);

    public void Emit(in FlowRecord record) => Records.Add(record);
}
