package io.lazysnap.daemon.metrics;

import io.lazysnap.daemon.snapshot.Snapshotter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The snapshots the root holds, read from the metadata at each scrape: how many of each kind, and the bytes that
 * committed ones occupy (as measured at commit; lazily served layers occupy nothing but their cache).
 */
final class SnapshotMetrics {

    private SnapshotMetrics() {
    }

    static void register(PrometheusRegistry registry, Snapshotter snapshotter) {
        GaugeWithCallback.builder().name("lazysnap_snapshots").help("Snapshots in the root, by kind")
                .labelNames("kind").callback(cb -> snapshotter.census().counts()
                        .forEach((kind, n) -> cb.call(n, kind.filterName()))).register(registry);
        GaugeWithCallback.builder().name("lazysnap_snapshots_committed_size_bytes")
                .help("Disk bytes of committed snapshots' own layers (downloaded layers; remote ones count 0)")
                .callback(cb -> cb.call(snapshotter.census().committedBytes())).register(registry);
    }
}
