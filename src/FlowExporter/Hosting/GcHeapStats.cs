using Prometheus;

namespace FlowExporter.Hosting;

/// <summary>
/// <c>dotnet_gc_heap_after_collection_bytes{generation}</c>: each part of the managed heap (gen0, gen1, gen2, loh, poh)
/// as the latest collection left it. prometheus-net's <c>dotnet_total_memory_bytes</c> includes garbage not yet
/// collected, so it saw-tooths by the allocation budget; the long-lived parts after a collection (gen2, loh) are what
/// show whether the heap grows.
/// </summary>
public static class GcHeapStats
{
    private static readonly string[] Generations = ["gen0", "gen1", "gen2", "loh", "poh"];

    public static void Register(CollectorRegistry registry, IMetricFactory factory)
    {
        var heap = factory.CreateGauge(
            "dotnet_gc_heap_after_collection_bytes",
            "Managed heap size (including fragmentation) per generation right after the latest garbage collection.",
            ["generation"]);
        registry.AddBeforeCollectCallback(() =>
        {
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            if (info.Index == 0)
            {
                return;
            }

            var generations = info.GenerationInfo;
            for (var g = 0; g < generations.Length && g < Generations.Length; g++)
            {
                heap.WithLabels(Generations[g]).Set(generations[g].SizeAfterBytes);
            }
        });
    }
}
