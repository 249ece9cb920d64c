package io.lazysnap.daemon.metrics;

import io.lazysnap.fs.ChunkCache;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** What the shared chunk cache holds, read from it at each scrape. */
final class CacheMetrics {

    private CacheMetrics() {
    }

    static void register(PrometheusRegistry registry, ChunkCache cache) {
        GaugeWithCallback.builder().name("lazysnap_chunk_cache_size_bytes")
                .help("Decompressed chunk bytes held by the cache, by tier").labelNames("tier")
                .callback(cb -> {
                    ChunkCache.Stats s = cache.stats();
                    cb.call(s.memoryBytes(), "memory");
                    cb.call(s.diskBytes(), "disk");
                }).register(registry);
        GaugeWithCallback.builder().name("lazysnap_chunk_cache_chunks")
                .help("Chunks held by the cache, by tier").labelNames("tier")
                .callback(cb -> {
                    ChunkCache.Stats s = cache.stats();
                    cb.call(s.memoryChunks(), "memory");
                    cb.call(s.diskChunks(), "disk");
                }).register(registry);
        CounterWithCallback.builder().name("lazysnap_chunk_cache_disk_evictions_total")
                .help("Chunk files deleted to keep the disk cache under its watermarks")
                .callback(cb -> cb.call(cache.stats().diskEvictions())).register(registry);
        CounterWithCallback.builder().name("lazysnap_chunk_cache_disk_skipped_writes_total")
                .help("Chunks not written to disk because its file system was past disk_high_percent")
                .callback(cb -> cb.call(cache.stats().diskSkippedWrites())).register(registry);
    }
}
