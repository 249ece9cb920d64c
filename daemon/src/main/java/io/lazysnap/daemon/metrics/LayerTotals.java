package io.lazysnap.daemon.metrics;

import io.lazysnap.fs.LayerStats;
import java.util.function.ToLongFunction;

/** The counts that unmounted layers reached, kept so that totals do not drop when a layer goes away. */
final class LayerTotals {

    private LayerStats total = new LayerStats(0, 0, 0, 0, 0, 0, 0, true, true);

    synchronized void add(LayerStats s) {
        total = new LayerStats(total.blobReads() + s.blobReads(), total.blobBytes() + s.blobBytes(),
                total.memoryHits() + s.memoryHits(), total.diskHits() + s.diskHits(),
                total.chunksFetched() + s.chunksFetched(), total.verificationFailures() + s.verificationFailures(),
                total.readErrors() + s.readErrors(), true, true);
    }

    synchronized long get(ToLongFunction<LayerStats> counter) {
        return counter.applyAsLong(total);
    }
}
