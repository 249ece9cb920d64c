package io.lazysnap.daemon.metrics;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.fs.LayerStats;
import io.lazysnap.fs.MountedLayer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * Mounted layers: what they fetch from their registries and how their chunk requests are answered. Cache counters
 * are summed over the layers mounted now plus the final counts of those already unmounted, so they never go down.
 * Per-layer series are dropped when their layer is unmounted, so a long-running node does not accumulate them.
 */
final class LayerMetrics {

    private final Set<MountedLayer> mounted = ConcurrentHashMap.newKeySet();
    private final LayerTotals unmounted = new LayerTotals();
    private final Counter fetchedBytes;
    private final Histogram rangeReads;

    LayerMetrics(PrometheusRegistry registry) {
        fetchedBytes = Counter.builder().name("lazysnap_layer_fetched_bytes_total")
                .help("Compressed bytes a mounted layer read from its registry (on demand, prefetch, background)")
                .labelNames("layer").register(registry);
        rangeReads = Histogram.builder().name("lazysnap_range_read_duration_seconds")
                .help("Range reads of mounted layers' blobs (concurrent reads may share one HTTP request)")
                .classicOnly().register(registry);
        GaugeWithCallback.builder().name("lazysnap_mounted_layers").help("Layers served through FUSE")
                .callback(cb -> cb.call(mounted.size())).register(registry);
        GaugeWithCallback.builder().name("lazysnap_layers_prefetching")
                .help("Mounted layers whose prioritised files are still being fetched")
                .callback(cb -> cb.call(mounted.stream().filter(l -> !l.stats().prefetchDone()).count()))
                .register(registry);
        GaugeWithCallback.builder().name("lazysnap_layers_background_fetching")
                .help("Mounted layers whose background fetch into the disk cache has not finished")
                .callback(cb -> cb.call(mounted.stream().filter(l -> !l.stats().backgroundFetchDone()).count()))
                .register(registry);
        CounterWithCallback.builder().name("lazysnap_chunk_cache_hits_total")
                .help("Chunk requests answered from a cache tier").labelNames("tier")
                .callback(cb -> {
                    cb.call(sum(LayerStats::memoryHits), "memory");
                    cb.call(sum(LayerStats::diskHits), "disk");
                }).register(registry);
        CounterWithCallback.builder().name("lazysnap_chunk_cache_misses_total")
                .help("Chunks fetched from the registry, verified and cached")
                .callback(cb -> cb.call(sum(LayerStats::chunksFetched))).register(registry);
        CounterWithCallback.builder().name("lazysnap_chunk_verification_failures_total")
                .help("Fetched chunks that failed decompression or digest verification")
                .callback(cb -> cb.call(sum(LayerStats::verificationFailures))).register(registry);
        CounterWithCallback.builder().name("lazysnap_fuse_read_errors_total")
                .help("File reads answered with EIO")
                .callback(cb -> cb.call(sum(LayerStats::readErrors))).register(registry);
    }

    BlobSource countReads(String layerDigest, BlobSource blob) {
        return BlobSource.decorate(blob, (offset, length) -> {
            long start = System.nanoTime();
            byte[] bytes = blob.read(offset, length);
            counted(layerDigest, start, length);
            return bytes;
        }, (offset, length, receiver) -> {
            long start = System.nanoTime();
            blob.read(offset, length, receiver);
            counted(layerDigest, start, length);
        });
    }

    private void counted(String layerDigest, long startNanos, int bytes) {
        rangeReads.observe(Seconds.since(startNanos));
        fetchedBytes.labelValues(layerDigest).inc(bytes);
    }

    Closeable track(MountedLayer layer) {
        mounted.add(layer);
        return new Closeable() {
            private boolean closed;

            @Override
            public synchronized void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    layer.close();
                } finally {
                    if (mounted.remove(layer)) {
                        unmounted.add(layer.stats());
                    }
                    fetchedBytes.remove(layer.layerDigest());
                }
            }

            @Override
            public String toString() {
                return layer.toString();
            }
        };
    }

    private long sum(ToLongFunction<LayerStats> counter) {
        long live = mounted.stream().mapToLong(l -> counter.applyAsLong(l.stats())).sum();
        return live + unmounted.get(counter);
    }
}
