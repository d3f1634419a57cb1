using System.Buffers;
using System.Text;
using FlowExporter.Correlator.Exposition;
using FlowExporter.Correlator.Metadata;
using FlowExporter.Correlator.Net;

namespace FlowExporter.Correlator.Tests.Metadata;

public sealed class EndpointInfoSeriesTests
{
    [Fact]
    public void Writes_one_info_sample_per_address_and_nothing_for_services_or_cidrs()
    {
        var builder = new EndpointIndexBuilder();
        builder.AddPod(new NetworkEndpoint("shop", "web-\"1\"", "node-a", WorkloadKinds.Deployment, "web", false, EndpointSource.Kubernetes), [IpAddress.Parse("fd00::7")]);
        builder.AddService(IpAddress.Parse("10.96.0.10"), NetworkEndpoint.ForService("kube-system", "kube-dns", EndpointSource.Kubernetes));
        Assert.True(IpPrefix.TryParse("192.0.2.0/24", out var lab));
        builder.AddCidr(lab, new NetworkEndpoint("", "lab", "", "", "", false, EndpointSource.StaticFile));
        var buffer = new ArrayBufferWriter<byte>();
        EndpointInfoSeries.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText), builder.Build());

        Assert.Equal(
            "# HELP network_endpoint_info Metadata known for an IP address (pod, node or static host); always 1.\n" +
            "# TYPE network_endpoint_info gauge\n" +
            "network_endpoint_info{ip=\"fd00::7\",pod_namespace=\"shop\",pod_name=\"web-\\\"1\\\"\",node=\"node-a\",workload_kind=\"Deployment\",workload=\"web\",interface=\"\"} 1\n",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Writes_nothing_for_an_empty_index()
    {
        var buffer = new ArrayBufferWriter<byte>();
        EndpointInfoSeries.Write(new ExpositionWriter(buffer, ExpositionFormat.PrometheusText), EndpointIndex.Empty);
        Assert.Equal(0, buffer.WrittenCount);
    }
}
