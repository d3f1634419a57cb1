using FlowExporter.Correlator.Ipfix;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Ipfix;

/// <summary>
/// Gives a flow record its strings when it is sent (off the packet path): the capture interface's name, this node,
/// and both ends' pods, namespaces, nodes and workloads from the endpoint index current then.
/// </summary>
public sealed class FlowRecordNamer
{
    private readonly string _node;
    private readonly Func<EndpointIndex>? _endpoints;
    private readonly Func<ushort, string> _interfaceName;

    public FlowRecordNamer(string node, Func<EndpointIndex>? endpoints, Func<ushort, string> interfaceName)
    {
        _node = node;
        _endpoints = endpoints;
        _interfaceName = interfaceName;
    }

    public FlowRecordNames Name(in FlowRecord record)
    {
        var index = _endpoints?.Invoke();
        return new FlowRecordNames(_interfaceName(record.Interface), _node, Describe(index, record.Source), Describe(index, record.Destination));
    }

    private static FlowEndpointNames Describe(EndpointIndex? index, IpAddress address) =>
        index?.Find(address) is { } endpoint
            ? new FlowEndpointNames(endpoint.Namespace, endpoint.PodName, endpoint.Node, endpoint.WorkloadKind, endpoint.Workload)
            : FlowEndpointNames.Unknown;
}
