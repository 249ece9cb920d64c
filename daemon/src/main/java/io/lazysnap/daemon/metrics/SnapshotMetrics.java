package io.lazysnap.daemon.metrics;

import io.lazysnap.daemon.snapshot.InfoFilter;
import io.lazysnap.daemon.snapshot.Kind;
import io.lazysnap.daemon.snapshot.Snapshotter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The snapshots the root holds, read from the metadata at each scrape: how many of each kind, and the bytes that
 * committed ones occupy (as measured at commit; lazily served layers occupy nothing but their cache).
 */
final class SnapshotMetrics {

    private SnapshotMetrics() {
    }

    static void register(PrometheusRegistry registry, Snapshotter snapshotter) {
        GaugeWithCallback.builder().name("lazysnap_snapshots").help("Snapshots in the root, by kind")
                .labelNames("kind").callback(cb -> {
                    Map<Kind, Long> counts = new EnumMap<>(Kind.class);
                    for (Kind k : Kind.values()) {
                        counts.put(k, 0L);
                    }
                    snapshotter.walk(InfoFilter.ALL, i -> counts.merge(i.kind(), 1L, Long::sum));
                    counts.forEach((k, n) -> cb.call(n, k.filterName()));
                }).register(registry);
        GaugeWithCallback.builder().name("lazysnap_snapshots_committed_size_bytes")
                .help("Disk bytes of committed snapshots' own layers (downloaded layers; remote ones count 0)")
                .callback(cb -> {
                    List<String> committed = new ArrayList<>();
                    snapshotter.walk(InfoFilter.parse("kind==committed"), i -> committed.add(i.name()));
                    cb.call(committed.stream().mapToLong(name -> snapshotter.usage(name).size()).sum());
                }).register(registry);
    }
}
