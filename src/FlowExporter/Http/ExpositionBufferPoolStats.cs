using Prometheus;

namespace FlowExporter.Http;

/// <summary>
/// <c>flowexporter_exposition_idle_bytes</c>: the memory /metrics keeps between scrapes (see
/// <see cref="ExpositionBufferPool"/>), so that a process holding the size of its largest scrape says why.
/// </summary>
public static class ExpositionBufferPoolStats
{
    public static ExpositionBufferPool Register(ExpositionBufferPool pool, CollectorRegistry registry, IMetricFactory factory)
    {
        var idle = factory.CreateGauge(
            "flowexporter_exposition_idle_bytes",
            "Bytes of /metrics render segments kept idle for the next scrape, as this scrape starts: up to the size of the largest recent scrape (at least 128 MiB once used, at most 1 GiB).");
        registry.AddBeforeCollectCallback(() => idle.Set((double)pool.IdleSegments * ExpositionBufferPool.SegmentSize));
        return pool;
    }
}
