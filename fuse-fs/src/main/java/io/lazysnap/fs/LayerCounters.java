package io.lazysnap.fs;

import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link LayerStats}, updated from many threads. */
final class LayerCounters {
    final LongAdder blobReads = new LongAdder();
    final LongAdder blobBytes = new LongAdder();
    final LongAdder memoryHits = new LongAdder();
    final LongAdder diskHits = new LongAdder();
    final LongAdder chunksFetched = new LongAdder();
    final LongAdder verificationFailures = new LongAdder();
    final LongAdder readErrors = new LongAdder();
    volatile boolean prefetchDone;
    volatile boolean backgroundFetchDone;

    LayerStats snapshot() {
        return new LayerStats(blobReads.sum(), blobBytes.sum(), memoryHits.sum(), diskHits.sum(),
                chunksFetched.sum(), verificationFailures.sum(), readErrors.sum(), prefetchDone,
                backgroundFetchDone);
    }
}
