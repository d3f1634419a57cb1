using Prometheus;

namespace FlowExporter.Hosting;

/// <summary>
/// <c>dotnet_gc_heap_after_collection_bytes{generation}</c>: each part of the managed heap (gen0, gen1, gen2, loh, poh)
/// as the latest collection left it. prometheus-net's <c>dotnet_total_memory_bytes</c> includes garbage not yet
/// collected, so it saw-tooths by the allocation budget; the long-lived parts after a collection (gen2, loh) are what
/// show whether the heap grows, but between full collections they hold promoted garbage too.
/// <c>dotnet_gc_live_bytes_after_full_collection</c> is what the latest full collection (blocking or background) found
/// alive: the figure that settles whether the heap leaks, and <c>dotnet_gc_full_collections</c> how many there were.
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
        var live = factory.CreateGauge(
            "dotnet_gc_live_bytes_after_full_collection",
            "Bytes the latest full (gen2, blocking or background) garbage collection found alive; 0 before the first.");
        var full = factory.CreateGauge(
            "dotnet_gc_full_collections",
            "Full (gen2) garbage collections since the start.");
        registry.AddBeforeCollectCallback(() =>
        {
            full.Set(GC.CollectionCount(2));
            var latestFull = Latest(GC.GetGCMemoryInfo(GCKind.FullBlocking), GC.GetGCMemoryInfo(GCKind.Background));
            if (latestFull.Index != 0)
            {
                live.Set(latestFull.PromotedBytes);
            }

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

    private static GCMemoryInfo Latest(GCMemoryInfo a, GCMemoryInfo b) => a.Index >= b.Index ? a : b;
}
