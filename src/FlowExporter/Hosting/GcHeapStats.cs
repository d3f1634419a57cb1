using Prometheus;

namespace FlowExporter.Hosting;

/// <summary>
/// <c>dotnet_gc_heap_after_collection_bytes{collection}</c>: the managed heap as the latest collection left it
/// (<c>any</c>) and as the latest full (gen 2) collection left it (<c>full</c>). prometheus-net's
/// <c>dotnet_total_memory_bytes</c> includes garbage not yet collected, so it saw-tooths by the allocation budget; the
/// size after a full collection is what shows whether the live heap grows.
/// </summary>
public static class GcHeapStats
{
    public static void Register(CollectorRegistry registry, IMetricFactory factory)
    {
        var heap = factory.CreateGauge(
            "dotnet_gc_heap_after_collection_bytes",
            "Managed heap size (including fragmentation) right after the latest collection: any generation, or the latest full one.",
            ["collection"]);
        registry.AddBeforeCollectCallback(() =>
        {
            var any = GC.GetGCMemoryInfo(GCKind.Any);
            if (any.Index > 0)
            {
                heap.WithLabels("any").Set(any.HeapSizeBytes);
            }

            var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
            var background = GC.GetGCMemoryInfo(GCKind.Background);
            var full = blocking.Index > background.Index ? blocking : background;
            if (full.Index > 0)
            {
                heap.WithLabels("full").Set(full.HeapSizeBytes);
            }
        });
    }
}
