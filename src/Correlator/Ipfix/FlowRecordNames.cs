namespace FlowExporter.Correlator.Ipfix;

/// <summary>The strings of one flow record: capture point, observing node and both ends' metadata.</summary>
public readonly record struct FlowRecordNames(string InterfaceName, string Node, FlowEndpointNames Source, FlowEndpointNames Destination);
