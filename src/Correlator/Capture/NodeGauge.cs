using FlowExporter.Correlator.Exposition;

namespace FlowExporter.Correlator.Capture;

/// <summary>A family with one sample labelled by node only (sizes, bounds and totals of the node's tables).</summary>
internal static class NodeGauge
{
    public static void Write(ExpositionWriter writer, MetricFamily family, string node, long value)
    {
        writer.Family(family);
        writer.BeginSample(family);
        writer.Label("node"u8, node);
        writer.Value(value);
    }

    public static void Write(ExpositionWriter writer, MetricFamily family, string node, ulong value)
    {
        writer.Family(family);
        writer.BeginSample(family);
        writer.Label("node"u8, node);
        writer.Value(value);
    }
}
