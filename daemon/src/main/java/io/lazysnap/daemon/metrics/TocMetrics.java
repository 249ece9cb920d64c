package io.lazysnap.daemon.metrics;

import io.lazysnap.fs.LayerFsOptions;
import io.lazysnap.fs.TreeStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The heap mounted layers' TOCs take ({@code [fuse] toc_memory_bytes}), read at each scrape. */
final class TocMetrics {

    private TocMetrics() {
    }

    static void register(PrometheusRegistry registry, LayerFsOptions layers) {
        GaugeWithCallback.builder().name("lazysnap_toc_heap_bytes")
                .help("Estimated heap of the TOCs and inode tables of mounted layers loaded now")
                .callback(cb -> cb.call(layers.treeStats().bytes())).register(registry);
        GaugeWithCallback.builder().name("lazysnap_toc_heap_budget_bytes")
                .help("Heap the TOCs of mounted layers may take before idle ones are dropped ([fuse] toc_memory_bytes)")
                .callback(cb -> cb.call(layers.treeStats().budgetBytes())).register(registry);
        CounterWithCallback.builder().name("lazysnap_toc_drops_total")
                .help("TOCs of idle mounted layers dropped from the heap to stay within the budget")
                .callback(cb -> cb.call(layers.treeStats().drops())).register(registry);
        CounterWithCallback.builder().name("lazysnap_toc_reopens_total")
                .help("Dropped TOCs opened again from disk for a use of their layer")
                .callback(cb -> cb.call(layers.treeStats().reopens())).register(registry);
    }
}
