using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;
using FlowExporter.Endpoints;

namespace FlowExporter.Tests.Endpoints;

public sealed class EndpointMetadataTests
{
    private sealed class FixedSource(EndpointIndex index) : IEndpointIndexSource
    {
        public EndpointIndex Current { get; set; } = index;
    }

    [Fact]
    public void Merges_sources_with_precedence_and_writes_the_info_series_once()
    {
        var k8s = new EndpointIndexBuilder();
        k8s.AddPod(new NetworkEndpoint("shop", "web-1", "node-a", "Deployment", "web", false, EndpointSource.Kubernetes), [IpAddress.Parse("10.244.1.7")]);
        var kubernetes = new FixedSource(k8s.Build());
        var file = new FixedSource(EndpointsFileParser.Parse("- { ip: 10.244.1.7, name: stale }\n- { ip: 192.0.2.10, name: db-1, node: rack-3 }\n"));
        var metadata = new EndpointMetadata([file, kubernetes]);

        Assert.Equal("web-1", metadata.Current.Find(IpAddress.Parse("10.244.1.7"))!.PodName);
        Assert.Equal("db-1", metadata.Current.Find(IpAddress.Parse("192.0.2.10"))!.PodName);
        Assert.Same(metadata.Current, metadata.Current);

        kubernetes.Current = EndpointIndex.Empty;
        Assert.Equal("stale", metadata.Current.Find(IpAddress.Parse("10.244.1.7"))!.PodName);

        var buffer = new ArrayBufferWriter<byte>();
        metadata.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText));
        var lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
        Assert.Equal(
            [
                "# HELP network_endpoint_info Metadata known for an IP address (pod, node or static host); always 1.",
                "# TYPE network_endpoint_info gauge",
                "network_endpoint_info{ip=\"10.244.1.7\",pod_namespace=\"\",pod_name=\"stale\",node=\"\",workload_kind=\"\",workload=\"\",interface=\"\"} 1",
                "network_endpoint_info{ip=\"192.0.2.10\",pod_namespace=\"\",pod_name=\"db-1\",node=\"rack-3\",workload_kind=\"\",workload=\"\",interface=\"\"} 1",
            ],
            lines);
    }
}
